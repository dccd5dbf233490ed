-- list *= n.  KEYS[1]; ARGV[1]: n
--!include list_common
local key = KEYS[1]
local n = tonumber(ARGV[1])
if n <= 0 then redis.call('DEL', key) return 0 end
local items = redis.call('LRANGE', key, 0, -1)
for _ = 2, n do push_all(key, items, 1, #items) end
return #items * n
