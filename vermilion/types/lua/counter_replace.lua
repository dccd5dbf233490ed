-- Replace every count.  KEYS: key, order key.  ARGV: count, member, ... in insertion order.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
redis.call('DEL', KEYS[1], KEYS[2])
zadd_pairs(KEYS[1], KEYS[2], ARGV, 1, #ARGV)
return redis.call('ZCARD', KEYS[1])
