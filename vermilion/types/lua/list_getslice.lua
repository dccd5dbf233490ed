-- list[start:stop:step] (Python slice semantics).  KEYS[1]; ARGV: start|'', stop|'', step.
--!include list_common
local key = KEYS[1]
local step = tonumber(ARGV[3])
local len = redis.call('LLEN', key)
local s, e = slice_indices(len, opt_int(ARGV[1]), opt_int(ARGV[2]), step)
if step == 1 then
  if e <= s then return {} end
  return redis.call('LRANGE', key, s, e - 1)
end
local pos = slice_positions(len, opt_int(ARGV[1]), opt_int(ARGV[2]), step)
if #pos == 0 then return {} end
local lo, hi = pos[1], pos[#pos]
if lo > hi then lo, hi = hi, lo end
local items = redis.call('LRANGE', key, lo, hi)
local out = {}
for i, p in ipairs(pos) do out[i] = items[p - lo + 1] end
return out
