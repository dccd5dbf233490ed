-- Write the initial items only if the key does not exist.  KEYS[1]; ARGV: field, value, ...
--!include dict_common
local t, err = hash_or_none(KEYS[1])
if err then return err end
if t == 'hash' then return 0 end
hset_all(KEYS[1], ARGV, 1, #ARGV)
return 1
