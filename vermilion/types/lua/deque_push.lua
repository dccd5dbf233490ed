-- append / appendleft / extend / extendleft, discarding from the other end beyond maxlen.
-- KEYS: list, maxlen key; ARGV: 'R' or 'L', items...  Returns the new length.
--!include list_common
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local m = get_maxlen(KEYS[2])
local side = ARGV[1]
if m == 0 then return 0 end
local first = 2
if m ~= nil and #ARGV - first + 1 > m then first = #ARGV - m + 1 end
if side == 'R' then push_all(key, ARGV, first, #ARGV) else push_all(key, ARGV, first, #ARGV, 'LPUSH') end
trim(key, m, side)
return redis.call('LLEN', key)
