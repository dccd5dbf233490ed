-- dict.setdefault(field, value): store value if field is absent; return the stored value.
-- KEYS[1]; ARGV: field, value
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
