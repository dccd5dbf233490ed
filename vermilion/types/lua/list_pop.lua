-- list.pop(index).  KEYS[1]; ARGV: index, tombstone.  Returns the removed item.
local key = KEYS[1]
local len = redis.call('LLEN', key)
if len == 0 then return redis.error_reply('VM IndexError pop from empty list') end
local i = tonumber(ARGV[1])
if i < 0 then i = i + len end
if i < 0 or i >= len then return redis.error_reply('VM IndexError pop index out of range') end
if i == 0 then return redis.call('LPOP', key) end
if i == len - 1 then return redis.call('RPOP', key) end
local v = redis.call('LINDEX', key, i)
redis.call('LSET', key, i, ARGV[2])
redis.call('LREM', key, 1, ARGV[2])
return v
