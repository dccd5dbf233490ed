-- Shared helpers for String / Int / Float scripts (included with --!include string_common).
-- Values are raw Redis strings; String values are UTF-8 and indexed by code point.

-- GET that reports a key of another Redis type as an error reply (Redis 6.2 and 7 alike).
local function get_string(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' and v.err then return nil, v end
  return v, nil
end

-- true if s is valid UTF-8 as Python decodes it (no overlong forms, surrogates or code points
-- beyond U+10FFFF); ASCII runs are skipped with one find each.
local function utf8_valid(s)
  local i, n = s:find('[\128-\255]'), #s
  while i do
    local c, len = s:byte(i), 0
    if c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then len = 3
    elseif c >= 0xF0 and c <= 0xF4 then len = 4
    else return false end
    if i + len - 1 > n then return false end
    for j = i + 1, i + len - 1 do
      local b = s:byte(j)
      if b < 0x80 or b > 0xBF then return false end
    end
    local b = s:byte(i + 1)
    if (c == 0xE0 and b < 0xA0) or (c == 0xED and b > 0x9F) or (c == 0xF0 and b < 0x90)
        or (c == 0xF4 and b > 0x8F) then
      return false
    end
    i = s:find('[\128-\255]', i + len)
  end
  return true
end

-- Number of code points of a UTF-8 string, and a function mapping a 0-based code point index
-- (0..n) to the 1-based byte offset where it starts (#s + 1 for n).  nil if s is not UTF-8
-- (bytes another client wrote): callers return a sentinel and Python raises DecodeError.
local function utf8_index(s)
  if not s:find('[\128-\255]') then
    return #s, function(i) return i + 1 end
  end
  if not utf8_valid(s) then return nil end
  local starts = {}
  for p in s:gmatch('()[^\128-\191]') do starts[#starts + 1] = p end
  local n, last = #starts, #s + 1
  return n, function(i) return starts[i + 1] or last end
end

-- The code points of a UTF-8 string as a table of strings.
local function utf8_chars(s)
  local out = {}
  for c in s:gmatch('[^\128-\191][\128-\191]*') do out[#out + 1] = c end
  return out
end
