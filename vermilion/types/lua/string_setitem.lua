-- Item / slice assignment and deletion on a UTF-8 string, by code point.
-- KEYS[1]; ARGV: 'i', index, value | 'di', index | 's', start|'', stop|'', step, value
--              | 'ds', start|'', stop|'', step
-- Returns 1, or -1 (writing nothing) if the stored value is not UTF-8.
--!include string_common
--!include list_common
local key, mode = KEYS[1], ARGV[1]
local v, err = get_string(key)
if err then return err end
v = v or ''
local n, off = utf8_index(v)
if not n then return -1 end
if mode == 'i' or mode == 'di' then
  local i = tonumber(ARGV[2])
  if i < 0 then i = i + n end
  if i < 0 or i >= n then
    return redis.error_reply('VM IndexError string assignment index out of range')
  end
  local new = ''
  if mode == 'i' then new = ARGV[3] end
  redis.call('SET', key, v:sub(1, off(i) - 1) .. new .. v:sub(off(i + 1)))
  return 1
end
local step = tonumber(ARGV[4])
local start, stop = opt_int(ARGV[2]), opt_int(ARGV[3])
local new = ''
if mode == 's' then new = ARGV[5] end
if step == 1 then
  local s, e = slice_indices(n, start, stop, 1)
  if e < s then e = s end
  redis.call('SET', key, v:sub(1, off(s) - 1) .. new .. v:sub(off(e)))
  return 1
end
local pos = slice_positions(n, start, stop, step)
local chars = utf8_chars(v)
if mode == 's' then
  local repl = utf8_chars(new)
  if #repl ~= #pos then
    return redis.error_reply('VM ValueError attempt to assign string of size ' .. #repl ..
      ' to extended slice of size ' .. #pos)
  end
  for k, p in ipairs(pos) do chars[p + 1] = repl[k] end
else
  for _, p in ipairs(pos) do chars[p + 1] = '' end
end
if #pos > 0 then redis.call('SET', key, table.concat(chars)) end
return 1
