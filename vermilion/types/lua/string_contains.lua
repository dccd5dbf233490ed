-- 1 if ARGV[1] occurs in the string at KEYS[1], else 0.
--!include string_common
local v, err = get_string(KEYS[1])
if err then return err end
if string.find(v or '', ARGV[1], 1, true) then return 1 end
return 0
