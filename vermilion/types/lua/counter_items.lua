-- Every (member, count) in insertion order, flat; read-only.  KEYS: key, order key.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
return ordered_items(KEYS[1], KEYS[2])
