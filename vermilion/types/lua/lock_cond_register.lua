-- Condition.wait, step 1: register a waiter.  KEYS[1] waiters list, KEYS[2] notification
-- stream; ARGV[1] waiter token.  Returns the stream's last entry id ('0-0' if none).
--!include lock_common
local err = wrong_type(KEYS[1], 'list', 'condition') or wrong_type(KEYS[2], 'stream', 'condition')
if err then return redis.error_reply(err) end
redis.call('RPUSH', KEYS[1], ARGV[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #last == 0 then return '0-0' end
return last[1][1]
