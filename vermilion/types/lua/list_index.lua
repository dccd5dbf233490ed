-- list.index(value, start, stop): 0-based position or -1.  KEYS[1]; ARGV: value, start, stop|''
--!include list_common
local key = KEYS[1]
local len = redis.call('LLEN', key)
local s, e = slice_indices(len, opt_int(ARGV[2]), opt_int(ARGV[3]), 1)
if e <= s then return -1 end
local items = redis.call('LRANGE', key, s, e - 1)
for i, v in ipairs(items) do
  if v == ARGV[1] then return s + i - 1 end
end
return -1
