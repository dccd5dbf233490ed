-- Lock.release.  KEYS[1] lock, KEYS[2] signal list; ARGV: token, signal ttl ms.
-- Returns 1 released, 0 no lock (lease expired), -1 held by another owner.
--!include lock_common
local err = wrong_type(KEYS[1], 'string', 'lock')
if err then return redis.error_reply(err) end
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
signal(KEYS[2], 1, tonumber(ARGV[2]), 1)
return 1
