-- incremented(raw, delta): the JSON text of raw + delta when raw is the JSON text of an integer
-- of at most 15 digits and the sum is strictly inside +-2^53 (so Lua's doubles compute it
-- exactly); nil otherwise (missing, not an integer, too large: the caller decides).
-- delta is a decimal integer string strictly inside +-2^53.  Included with --!include int_incr.
local function incremented(raw, delta)
  if not raw or #raw > 16 then return nil end
  if not (string.match(raw, '^%-?[1-9]%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?$')
          or raw == '0' or raw == '-0') then
    return nil
  end
  local n = tonumber(raw) + tonumber(delta)
  if n >= 9007199254740992 or n <= -9007199254740992 then return nil end
  return string.format('%d', n)
end
