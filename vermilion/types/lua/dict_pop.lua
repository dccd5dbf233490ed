-- dict.pop(field): remove the field, return its value (nil if absent).  KEYS[1]; ARGV[1]: field
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
