-- list[start:stop:step] = values.  KEYS[1]; ARGV: start|'', stop|'', step, n, values...
--!include list_common
local key = KEYS[1]
local step = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local len = redis.call('LLEN', key)
if step == 1 then
  local s, e = slice_indices(len, opt_int(ARGV[1]), opt_int(ARGV[2]), 1)
  if e < s then e = s end
  local tail = {}
  if e < len then tail = redis.call('LRANGE', key, e, -1) end
  if s == 0 then redis.call('DEL', key) else redis.call('LTRIM', key, 0, s - 1) end
  push_all(key, ARGV, 5, 4 + n)
  push_all(key, tail, 1, #tail)
  return 1
end
local pos = slice_positions(len, opt_int(ARGV[1]), opt_int(ARGV[2]), step)
if #pos ~= n then
  return redis.error_reply('VM ValueError attempt to assign sequence of size ' .. n ..
    ' to extended slice of size ' .. #pos)
end
for i, p in ipairs(pos) do redis.call('LSET', key, p, ARGV[4 + i]) end
return 1
