-- s[i] or the code points covering s[start:stop:step] (Python applies the step).
-- KEYS[1]; ARGV: 'i', index  |  's', start|'', stop|'', step.  Index out of range: nil.
-- A value that is not UTF-8: {0} (Python raises DecodeError).
--!include string_common
--!include list_common
local v, err = get_string(KEYS[1])
if err then return err end
v = v or ''
local n, off = utf8_index(v)
if not n then return {0} end
if ARGV[1] == 'i' then
  local i = tonumber(ARGV[2])
  if i < 0 then i = i + n end
  if i < 0 or i >= n then return false end
  return v:sub(off(i), off(i + 1) - 1)
end
local step = tonumber(ARGV[4])
local s, e = slice_indices(n, opt_int(ARGV[2]), opt_int(ARGV[3]), step)
if step > 0 then
  if e <= s then return '' end
  return v:sub(off(s), off(e) - 1)
end
if s <= e then return '' end
return v:sub(off(e + 1), off(s + 1) - 1)
