-- list.insert(index, value) with Python's clamping.  KEYS[1]; ARGV: index, value, tombstone
local key = KEYS[1]
local len = redis.call('LLEN', key)
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
