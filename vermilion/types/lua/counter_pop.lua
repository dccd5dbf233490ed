-- Remove an element and return its count, or false if absent.  KEYS: key, order key.
-- ARGV[1]: member; ARGV[2]: '1' to refuse (return {count}, removing nothing) a count that is
-- not finite (another client's ZADD inf), which no Python int can hold.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local c = redis.call('ZSCORE', KEYS[1], ARGV[1])
if c and ARGV[2] == '1' and (c == 'inf' or c == '-inf') then return {c} end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return c
