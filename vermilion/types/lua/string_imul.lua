-- s *= n.  KEYS[1]; ARGV[1]: n.  A missing key stays missing (it reads as '').
--!include string_common
local v, err = get_string(KEYS[1])
if err then return err end
if not v then return 0 end
local n = tonumber(ARGV[1])
if n <= 0 then redis.call('SET', KEYS[1], '') return 1 end
redis.call('SET', KEYS[1], string.rep(v, n))
return 1
