-- deque.rotate(n): move n items from the right end to the left (n < 0: the other way).
-- KEYS[1]; ARGV[1]: n.  Moves at most len/2 items.
--!include list_common
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
local len = redis.call('LLEN', key)
if len < 2 then return 0 end
local k = tonumber(ARGV[1]) % len  -- Lua's % is floored: 0 <= k < len
if k == 0 then return 0 end
if k <= len - k then
  local moved = redis.call('LRANGE', key, len - k, -1)
  redis.call('LTRIM', key, 0, len - k - 1)
  local rev = {}
  for i = #moved, 1, -1 do rev[#rev + 1] = moved[i] end
  push_all(key, rev, 1, #rev, 'LPUSH')
else
  local j = len - k
  local moved = redis.call('LRANGE', key, 0, j - 1)
  redis.call('LTRIM', key, j, -1)
  push_all(key, moved, 1, #moved)
end
return k
