-- Remove an element and return its count, or false if absent.  KEYS: key, order key.
-- ARGV[1]: member.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local c = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return c
