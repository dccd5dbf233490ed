-- Pop the head (ARGV[1] == 'L') or the tail of a set queue's list and forget the member.
-- KEYS[1]: the list; KEYS[2]: the member set.  Returns the value, or nil when empty.
local v
if ARGV[1] == 'L' then v = redis.call('LPOP', KEYS[1]) else v = redis.call('RPOP', KEYS[1]) end
if not v then return false end
redis.call('SREM', KEYS[2], v)
return v
