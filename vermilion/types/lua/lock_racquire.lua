-- RLock.acquire attempt.  KEYS[1] rlock hash {owner, count}; ARGV: owner, lease ms, n.
-- Returns 0 when acquired (count += n, lease renewed), else the holder's remaining lease ms.
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'hash', 'rlock')
if err then return redis.error_reply(err) end
local owner = redis.call('HGET', key, 'owner')
if not owner then
  redis.call('DEL', key)
  redis.call('HSET', key, 'owner', ARGV[1], 'count', ARGV[3])
  redis.call('PEXPIRE', key, ARGV[2])
  return 0
end
if owner == ARGV[1] then
  redis.call('HINCRBY', key, 'count', ARGV[3])
  redis.call('PEXPIRE', key, ARGV[2])
  return 0
end
local ttl = redis.call('PTTL', key)
if ttl < 1 then return tonumber(ARGV[2]) end
return ttl
