-- list.sort() / list.sort(reverse=True) in one round trip, for lists of JSON numbers (within
-- +-2^53, exact as doubles) or JSON strings (compared by UTF-8 bytes = code points, like Python).
-- Stable like Python's sort.  KEYS[1]; ARGV[1]: '1' for reverse.
-- Returns 1 when sorted, 0 when the items need Python's comparison (mixed or other types).
local key = KEYS[1]
local items = redis.call('LRANGE', key, 0, -1)
local n = #items
if n < 2 then return 1 end
local kind = nil
local vals = {}
for i = 1, n do
  local ok, v = pcall(cjson.decode, items[i])
  if not ok then return 0 end
  local t = type(v)
  if t == 'number' then
    if v ~= v or v > 9007199254740992 or v < -9007199254740992 then return 0 end
  elseif t ~= 'string' then
    return 0
  end
  if kind == nil then kind = t elseif kind ~= t then return 0 end
  vals[i] = v
end
local function less(a, b)
  if kind == 'number' then return a < b end
  local m = math.min(#a, #b)
  for i = 1, m do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local order = {}
for i = 1, n do order[i] = i end
local rev = ARGV[1] == '1'
table.sort(order, function(i, j)
  local a, b = vals[i], vals[j]
  if rev then
    if less(b, a) then return true end
    if less(a, b) then return false end
  else
    if less(a, b) then return true end
    if less(b, a) then return false end
  end
  return i < j
end)
local out = {}
for i = 1, n do out[i] = items[order[i]] end
redis.call('DEL', key)
local i = 1
while i <= n do
  local j = math.min(i + 999, n)
  redis.call('RPUSH', key, unpack(out, i, j))
  i = j + 1
end
return 1
