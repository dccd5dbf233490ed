-- Replace every count.  KEYS[1]; ARGV: count, member, ...
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
redis.call('DEL', KEYS[1])
zadd_pairs(KEYS[1], ARGV, 1, #ARGV)
return redis.call('ZCARD', KEYS[1])
