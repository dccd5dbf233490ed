-- In-place integer arithmetic computed exactly when every value fits in 53 bits.
-- KEYS[1]; ARGV: op (mul floordiv mod pow lshift rshift and or xor), operand (decimal).
-- Returns {1, new value} once written, or {0, current raw value or nil} when the result cannot
-- be computed exactly here (Python then finishes with a compare-and-set).
--!include string_common
local key, op = KEYS[1], ARGV[1]
local raw, err = get_string(key)
if err then return err end
local LIM = 9007199254740991
local function fallback() return {0, raw} end
local text = raw or '0'
if #text > 17 or not text:match('^%-?%d+$') then return fallback() end
local a, b = tonumber(text), tonumber(ARGV[2])
if b == nil or math.abs(a) > LIM or math.abs(b) > LIM then return fallback() end
local r
if op == 'mul' then
  r = a * b
elseif op == 'floordiv' or op == 'mod' then
  if math.abs(a) + math.abs(b) > LIM then return fallback() end
  local q = math.floor(a / b)
  local m = a - q * b
  if b > 0 then
    if m < 0 then q = q - 1; m = m + b elseif m >= b then q = q + 1; m = m - b end
  else
    if m > 0 then q = q - 1; m = m + b elseif m <= b then q = q + 1; m = m - b end
  end
  if op == 'floordiv' then r = q else r = m end
elseif op == 'pow' then
  if a == 0 then
    if b == 0 then r = 1 else r = 0 end
  elseif a == 1 then
    r = 1
  elseif a == -1 then
    if b % 2 == 0 then r = 1 else r = -1 end
  else
    r = 1
    for _ = 1, b do
      r = r * a
      if math.abs(r) > LIM then return fallback() end
    end
  end
elseif op == 'lshift' then
  if a == 0 then r = 0 elseif b > 60 then return fallback() else r = a * 2 ^ b end
elseif op == 'rshift' then
  if b > 60 then
    if a < 0 then r = -1 else r = 0 end
  else
    r = math.floor(a / 2 ^ b)
  end
elseif op == 'and' or op == 'or' or op == 'xor' then
  local M = 2147483648
  if a < -M or a >= M or b < -M or b >= M then return fallback() end
  if op == 'and' then r = bit.band(a, b) elseif op == 'or' then r = bit.bor(a, b)
  else r = bit.bxor(a, b) end
else
  return redis.error_reply('VM ValueError unknown operation ' .. op)
end
if math.abs(r) > LIM then return fallback() end
local out = string.format('%d', r)
redis.call('SET', key, out)
return {1, out}
