-- Pop the head (ARGV[1] == 'L') or the tail of a set queue's list and forget the member.
-- KEYS[1]: the list; KEYS[2]: the member set.  Returns the value, or nil when empty.
local cmd = 'RPOP'
if ARGV[1] == 'L' then cmd = 'LPOP' end
local v = redis.pcall(cmd, KEYS[1])
if type(v) == 'table' and v.err then return v end  -- WRONGTYPE, as the plain command says it
if not v then return false end
redis.call('SREM', KEYS[2], v)
return v
