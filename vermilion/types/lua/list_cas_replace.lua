-- Replace the list if its content still hashes to ARGV[1] (optimistic sort).  KEYS[1];
-- ARGV: expected sha1 of the length-prefixed items, new items...  Returns 1, or 0 on conflict.
--!include list_common
local key = KEYS[1]
local items = redis.call('LRANGE', key, 0, -1)
local parts = {}
for i, v in ipairs(items) do parts[i] = #v .. ':' .. v end
if redis.sha1hex(table.concat(parts)) ~= ARGV[1] then return 0 end
redis.call('DEL', key)
push_all(key, ARGV, 2, #ARGV)
return 1
