-- Replace the whole list.  KEYS[1]; ARGV: items.
--!include list_common
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'none' and t ~= 'list' then return redis.error_reply('WRONGTYPE list expected') end
redis.call('DEL', KEYS[1])
push_all(KEYS[1], ARGV, 1, #ARGV)
return #ARGV
