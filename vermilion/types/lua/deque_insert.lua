-- deque.insert(index, value).  KEYS: list, maxlen key; ARGV: index, value, tombstone.
--!include list_common
--!include deque_common
local bad = check_list(KEYS[1])
if bad then return bad end
local m = get_maxlen(KEYS[2])
if m ~= nil and redis.call('LLEN', KEYS[1]) >= m then
  return redis.error_reply('VM IndexError deque already at its maximum size')
end
return insert_at(KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[3])
