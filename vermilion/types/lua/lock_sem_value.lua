-- Semaphore value (repr): {live holders, extra permits}.  KEYS[1] holders zset, KEYS[2] extra
-- permits.  Reads only.
--!include lock_common
local err = wrong_type(KEYS[1], 'zset', 'semaphore')
if err then return redis.error_reply(err) end
local live = redis.call('ZCOUNT', KEYS[1], '(' .. now_ms(), '+inf')
return {live, tonumber(redis.call('GET', KEYS[2]) or '0') or 0}
