-- del deque[index].  KEYS[1]; ARGV: index, tombstone.
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local len = redis.call('LLEN', key)
local i = tonumber(ARGV[1])
if i < 0 then i = i + len end
if i < 0 or i >= len then return redis.error_reply('VM IndexError deque index out of range') end
if i == 0 then redis.call('LPOP', key) return 1 end
if i == len - 1 then redis.call('RPOP', key) return 1 end
redis.call('LSET', key, i, ARGV[2])
redis.call('LREM', key, 1, ARGV[2])
return 1
