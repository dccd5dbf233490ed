-- Remove an element and return its count, or false if absent.  KEYS[1]; ARGV[1]: member.
local c = redis.call('ZSCORE', KEYS[1], ARGV[1])
if c then redis.call('ZREM', KEYS[1], ARGV[1]) end
return c
