-- Create a Deque: store maxlen (if given), write the initial items only if the list does not
-- exist, and trim an existing list to maxlen (keeping the right end, like deque(it, maxlen)).
-- KEYS: list, maxlen key; ARGV: maxlen|'', '1' if initial items follow else '0', items...
--!include list_common
--!include deque_common
local key = KEYS[1]
local bad = check_list(key)
if bad then return bad end
if ARGV[1] ~= '' then redis.call('SET', KEYS[2], ARGV[1]) end
local m = get_maxlen(KEYS[2])
if ARGV[2] == '1' and redis.call('EXISTS', key) == 0 and m ~= 0 then
  local first = 3
  if m ~= nil and #ARGV - first + 1 > m then first = #ARGV - m + 1 end
  push_all(key, ARGV, first, #ARGV)
end
trim(key, m, 'R')
return 1
