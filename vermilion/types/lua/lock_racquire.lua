-- RLock.acquire attempt.  KEYS[1] rlock hash {owner, count, fence}, KEYS[2] fencing-token
-- counter; ARGV: owner, lease ms, n.
-- Returns {1, fencing token} when acquired (count += n, lease renewed; a re-entrant acquisition
-- keeps its token), else {0, the holder's remaining lease ms}.
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'hash', 'rlock')
if err then return redis.error_reply(err) end
local owner = redis.call('HGET', key, 'owner')
if not owner then
  local fence = next_fence(KEYS[2])
  redis.call('DEL', key)
  redis.call('HSET', key, 'owner', ARGV[1], 'count', ARGV[3], 'fence', fence)
  redis.call('PEXPIRE', key, ARGV[2])
  return {1, fence}
end
if owner == ARGV[1] then
  redis.call('HINCRBY', key, 'count', ARGV[3])
  redis.call('PEXPIRE', key, ARGV[2])
  return {1, redis.call('HGET', key, 'fence') or '0'}
end
local ttl = redis.call('PTTL', key)
if ttl < 1 then return {0, tonumber(ARGV[2])} end
return {0, ttl}
