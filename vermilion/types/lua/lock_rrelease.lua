-- RLock.release.  KEYS[1] rlock hash, KEYS[2] signal list; ARGV: owner, signal ttl ms,
-- mode ('one' decrements, 'all' releases every level).
-- Returns the remaining count ('one') or the count released ('all'); -1 another owner holds
-- it, -2 nobody holds it (the lease expired).
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'hash', 'rlock')
if err then return redis.error_reply(err) end
local owner = redis.call('HGET', key, 'owner')
if not owner then return -2 end
if owner ~= ARGV[1] then return -1 end
local count = tonumber(redis.call('HGET', key, 'count')) or 1
local result
if ARGV[3] == 'all' then
  result = count
  count = 0
else
  count = count - 1
  result = count
end
if count <= 0 then
  redis.call('DEL', key)
  signal(KEYS[2], 1, tonumber(ARGV[2]), 1)
else
  redis.call('HSET', key, 'count', count)
end
return result
