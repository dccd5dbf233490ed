-- Event.set: the event's list holds one element while set.  KEYS[1].
--!include lock_common
local err = wrong_type(KEYS[1], 'list', 'event')
if err then return redis.error_reply(err) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], '1') end
return 1
