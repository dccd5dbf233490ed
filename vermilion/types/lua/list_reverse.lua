-- list.reverse() in place.  KEYS[1]
--!include list_common
local key = KEYS[1]
local items = redis.call('LRANGE', key, 0, -1)
if #items < 2 then return #items end
redis.call('DEL', key)
push_all(key, items, 1, #items, 'LPUSH')
return #items
