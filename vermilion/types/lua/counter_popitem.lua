-- Counter.popitem(): remove the last element in insertion order (dict.popitem's LIFO) and
-- return {member, count}; elements written by other clients straight into the sorted set come
-- last, so they go first.  KEYS: key, order key.  ARGV[1] (optional, may be ''): the member to
-- take if present (the one a transaction checked before its commit); ARGV[2] = 'peek': return
-- the pair without removing it ({} if empty).  A count that is not finite (another client's
-- ZADD inf), which no Python int can hold, is refused: {member, count, 'kept'}, nothing removed.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local key, okey = KEYS[1], KEYS[2]
local m
if ARGV[1] and ARGV[1] ~= '' and redis.call('ZSCORE', key, ARGV[1]) then m = ARGV[1] end
if not m then
  local n = redis.call('ZCARD', key)
  if n > 0 and redis.call('ZCARD', okey) == n then  -- the order key is complete: its top
    m = redis.call('ZREVRANGE', okey, 0, 0)[1]
    if not redis.call('ZSCORE', key, m) then m = nil end
  end
  if not m and n > 0 then
    local ms = ordered_members(key, okey)
    m = ms[#ms]
  end
end
if not m then
  if ARGV[2] == 'peek' then return {} end
  return redis.error_reply('VM KeyError popitem(): dictionary is empty')
end
local c = redis.call('ZSCORE', key, m)
if ARGV[2] == 'peek' then return {m, c} end
if c == 'inf' or c == '-inf' then return {m, c, 'kept'} end
redis.call('ZREM', key, m)
redis.call('ZREM', okey, m)
return {m, c}
