-- Combine counts in place (update, subtract, += -= |= &=).
-- KEYS[1]: the MultiSet; KEYS[2] (optional): another MultiSet in the same slot.
-- ARGV[1]: 'sum' | 'max' | 'min'; ARGV[2]: '1' to drop non-positive counts afterwards (Counter's
-- in-place operators); ARGV[3]: weight of KEYS[2] ('1' or '-1', for 'sum');
-- ARGV[4..]: plain (count, member) pairs, counts already signed.  Returns the new size.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local key, how, n = KEYS[1], ARGV[1], #ARGV
if #KEYS > 1 then
  local other = KEYS[2]
  if how == 'sum' then
    redis.call('ZUNIONSTORE', key, 2, key, other, 'WEIGHTS', 1, ARGV[3], 'AGGREGATE', 'SUM')
  elseif how == 'max' then
    redis.call('ZUNIONSTORE', key, 2, key, other, 'AGGREGATE', 'MAX')
  else
    redis.call('ZINTERSTORE', key, 2, key, other, 'AGGREGATE', 'MIN')
  end
end
if how == 'sum' then
  for i = 4, n, 2 do redis.call('ZINCRBY', key, ARGV[i], ARGV[i + 1]) end
elseif how == 'max' then
  for i = 4, n, 2 do
    local cur = tonumber(redis.call('ZSCORE', key, ARGV[i + 1]) or '0')
    if tonumber(ARGV[i]) > cur then redis.call('ZADD', key, ARGV[i], ARGV[i + 1]) end
  end
elseif #KEYS == 1 then  -- 'min' against plain counts: elements missing from them count 0
  local theirs = {}
  for i = 4, n, 2 do theirs[ARGV[i + 1]] = tonumber(ARGV[i]) end
  local mine = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #mine, 2 do
    local m, c = mine[i], tonumber(mine[i + 1])
    local o = theirs[m] or 0
    if o < c then redis.call('ZADD', key, o, m) end
  end
end
if ARGV[2] == '1' then redis.call('ZREMRANGEBYSCORE', key, '-inf', 0) end
return redis.call('ZCARD', key)
