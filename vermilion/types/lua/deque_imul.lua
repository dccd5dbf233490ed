-- deque *= n, keeping the last maxlen items.  KEYS: list, maxlen key; ARGV[1]: n.
--!include list_common
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local n = tonumber(ARGV[1])
local m = get_maxlen(KEYS[2])
if n <= 0 or m == 0 then redis.call('DEL', key) return 0 end
local items = redis.call('LRANGE', key, 0, -1)
if #items == 0 then return 0 end
local copies = n - 1
if m ~= nil then copies = math.min(copies, math.ceil(m / #items)) end
for _ = 1, copies do push_all(key, items, 1, #items) end
trim(key, m, 'R')
return redis.call('LLEN', key)
