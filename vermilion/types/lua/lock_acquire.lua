-- Lock.acquire attempt.  KEYS[1] lock, KEYS[2] fencing-token counter; ARGV: token, lease ms.
-- Returns {1, fencing token} when acquired, else {0, the holder's remaining lease in ms} (a
-- bound for waiting).
--!include lock_common
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, next_fence(KEYS[2])}
end
local err = wrong_type(KEYS[1], 'string', 'lock')
if err then return redis.error_reply(err) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return {0, tonumber(ARGV[2])} end
return {0, ttl}
