-- Write the initial counts only if the key does not exist.  KEYS[1]; ARGV: count, member, ...
--!include counter_common
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'zset' then return 0 end
local err = check_zset_types(KEYS)
if err then return err end
zadd_pairs(KEYS[1], ARGV, 1, #ARGV)
return 1
