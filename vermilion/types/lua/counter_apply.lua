-- Combine counts in place (update, subtract, += -= |= &=), following Counter's loops so new
-- elements join the insertion order as they do in Python.
-- KEYS: the MultiSet and its order key; optionally another MultiSet in the same slot and its
-- order key (its elements are taken first, in its insertion order).
-- ARGV[1]: 'sum' | 'max' | 'min'; ARGV[2]: '1' to drop non-positive counts afterwards (Counter's
-- in-place operators); ARGV[3]: weight of the other MultiSet ('1' or '-1', for 'sum');
-- ARGV[4..]: plain (count, member) pairs, counts already signed.  Returns the new size.
--!include counter_common
local err = prepare(KEYS[1], KEYS[2])
if err then return err end
local key, okey, how = KEYS[1], KEYS[2], ARGV[1]
local items = {}  -- flat count, member pairs
if #KEYS > 2 then
  err = check_zset_types({KEYS[3], KEYS[4]})
  if err then return err end
  local w = tonumber(ARGV[3])
  local theirs = ordered_items(KEYS[3], KEYS[4])
  for i = 1, #theirs, 2 do
    items[#items + 1] = w * tonumber(theirs[i + 1])
    items[#items + 1] = theirs[i]
  end
end
for i = 4, #ARGV do items[#items + 1] = ARGV[i] end
local add = order_adder(okey)
if how == 'sum' then
  for i = 1, #items, 2 do
    redis.call('ZINCRBY', key, items[i], items[i + 1])
    add(items[i + 1])
  end
elseif how == 'max' then  -- Counter.__ior__: self[e] = theirs if theirs > self[e] (0 if missing)
  for i = 1, #items, 2 do
    local cur = tonumber(redis.call('ZSCORE', key, items[i + 1]) or '0')
    if tonumber(items[i]) > cur then
      redis.call('ZADD', key, items[i], items[i + 1])
      add(items[i + 1])
    end
  end
else  -- Counter.__iand__: self[e] = theirs[e] (0 if missing) if it is smaller
  local theirs = {}
  for i = 1, #items, 2 do theirs[items[i + 1]] = tonumber(items[i]) end
  local mine = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #mine, 2 do
    local m, c = mine[i], tonumber(mine[i + 1])
    local o = theirs[m] or 0
    if o < c then redis.call('ZADD', key, o, m) end
  end
end
if ARGV[2] == '1' then
  zrem_all(key, okey, redis.call('ZRANGEBYSCORE', key, '-inf', 0))
end
return redis.call('ZCARD', key)
