-- Write the initial counts only if the key does not exist.  KEYS: key, order key.
-- ARGV: count, member, ... in insertion order.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
zadd_pairs(KEYS[1], KEYS[2], ARGV, 1, #ARGV)
return 1
