-- Replace the whole set.  KEYS[1]; ARGV: members.
--!include set_common
local err = check_set_types(KEYS)
if err then return err end
redis.call('DEL', KEYS[1])
set_cmd_all('SADD', KEYS[1], ARGV, 1, #ARGV)
return redis.call('SCARD', KEYS[1])
