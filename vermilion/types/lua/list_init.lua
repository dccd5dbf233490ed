-- Write the initial items only if the list does not exist.  KEYS[1]; ARGV: items.
--!include list_common
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'list' then return 0 end
if t ~= 'none' then return redis.error_reply('VM WRONGTYPE key holds a ' .. t .. ', not a list') end
push_all(KEYS[1], ARGV, 1, #ARGV)
return 1
