-- Event.clear.  KEYS[1].
--!include lock_common
local err = wrong_type(KEYS[1], 'list', 'event')
if err then return redis.error_reply(err) end
redis.call('DEL', KEYS[1])
return 1
