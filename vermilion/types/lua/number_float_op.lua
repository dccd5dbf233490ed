-- In-place float arithmetic with IEEE double semantics identical to CPython's float.
-- KEYS[1]; ARGV: op (add sub mul truediv floordiv mod), operand (repr of a float).
-- Returns {1, new value text} once written, or {0, current raw value or nil} when the stored
-- text is not a number Lua reads (Python then decides).
--!include string_common
local key, op = KEYS[1], ARGV[1]
local raw, err = get_string(key)
if err then return err end
local a = tonumber(raw or '0')
local b = tonumber(ARGV[2])
if a == nil or b == nil then return {0, raw} end
local zero = tonumber('0')
local function copysign0(x)
  -- 0.0 with the sign of x
  if x < 0 or (x == 0 and 1 / x < 0) then return -zero end
  return zero
end
local function pymod(x, y)
  local m = math.fmod(x, y)
  if m ~= 0 then
    if (y < 0) ~= (m < 0) then m = m + y end
  elseif m == m then
    m = copysign0(y)
  end
  return m
end
local function pyfloordiv(x, y)
  local m = math.fmod(x, y)
  local div = (x - m) / y
  if m ~= 0 then
    if (y < 0) ~= (m < 0) then div = div - 1.0 end
  end
  if div ~= 0 then
    local f = math.floor(div)
    if div - f > 0.5 then f = f + 1.0 end
    return f
  end
  return copysign0(x / y)
end
local r
if op == 'add' then r = a + b
elseif op == 'sub' then r = a - b
elseif op == 'mul' then r = a * b
elseif op == 'truediv' then r = a / b
elseif op == 'floordiv' then r = pyfloordiv(a, b)
elseif op == 'mod' then r = pymod(a, b)
else return redis.error_reply('VM ValueError unknown operation ' .. op) end
local out
if r ~= r then
  out = 'nan'
else
  for p = 15, 17 do
    out = string.format('%.' .. p .. 'g', r)
    if tonumber(out) == r then break end
  end
end
redis.call('SET', key, out)
return {1, out}
