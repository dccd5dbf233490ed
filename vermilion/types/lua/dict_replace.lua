-- Replace the whole hash.  KEYS[1]; ARGV: field, value, ...
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
redis.call('DEL', KEYS[1])
hset_all(KEYS[1], ARGV, 1, #ARGV)
return #ARGV / 2
