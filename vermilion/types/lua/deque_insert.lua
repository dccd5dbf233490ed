-- deque.insert(index, value).  KEYS: list, maxlen key; ARGV: index, value, tombstone.
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local len = redis.call('LLEN', key)
local m = get_maxlen(KEYS[2])
if m ~= nil and len >= m then
  return redis.error_reply('VM IndexError deque already at its maximum size')
end
local i = tonumber(ARGV[1])
if i < 0 then
  i = i + len
  if i < 0 then i = 0 end
end
if i >= len then return redis.call('RPUSH', key, ARGV[2]) end
if i == 0 then return redis.call('LPUSH', key, ARGV[2]) end
local old = redis.call('LINDEX', key, i)
redis.call('LSET', key, i, ARGV[3])
redis.call('LINSERT', key, 'BEFORE', ARGV[3], ARGV[2])
redis.call('LSET', key, i + 1, old)
return len + 1
