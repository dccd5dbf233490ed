-- Number of code points of the UTF-8 string at KEYS[1] (0 if missing; -1 if it is not UTF-8).
--!include string_common
local v, err = get_string(KEYS[1])
if err then return err end
if not v then return 0 end
local n = utf8_index(v)
if not n then return -1 end
return n
