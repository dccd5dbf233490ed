-- del list[index] / del list[start:stop:step].
-- KEYS[1]; ARGV: tombstone, 'i', index  |  tombstone, 's', start|'', stop|'', step
--!include list_common
local key, tomb = KEYS[1], ARGV[1]
local len = redis.call('LLEN', key)
if ARGV[2] == 'i' then
  local i = tonumber(ARGV[3])
  if i < 0 then i = i + len end
  if i < 0 or i >= len then
    return redis.error_reply('VM IndexError list assignment index out of range')
  end
  if i == 0 then redis.call('LPOP', key) return 1 end
  if i == len - 1 then redis.call('RPOP', key) return 1 end
  redis.call('LSET', key, i, tomb)
  redis.call('LREM', key, 1, tomb)
  return 1
end
local step = tonumber(ARGV[5])
local pos = slice_positions(len, opt_int(ARGV[3]), opt_int(ARGV[4]), step)
if #pos == 0 then return 0 end
if step == 1 then
  local s, e = pos[1], pos[#pos]
  if s == 0 and e == len - 1 then redis.call('DEL', key) return #pos end
  local tail = {}
  if e + 1 < len then tail = redis.call('LRANGE', key, e + 1, -1) end
  if s == 0 then redis.call('DEL', key) else redis.call('LTRIM', key, 0, s - 1) end
  push_all(key, tail, 1, #tail)
  return #pos
end
for _, p in ipairs(pos) do redis.call('LSET', key, p, tomb) end
redis.call('LREM', key, 0, tomb)
return #pos
