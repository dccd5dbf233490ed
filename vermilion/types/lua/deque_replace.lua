-- Replace every item (keeping the last maxlen).  KEYS: list, maxlen key; ARGV: items...
--!include list_common
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local m = get_maxlen(KEYS[2])
redis.call('DEL', key)
if m == 0 then return 0 end
local first = 1
if m ~= nil and #ARGV > m then first = #ARGV - m + 1 end
push_all(key, ARGV, first, #ARGV)
return redis.call('LLEN', key)
