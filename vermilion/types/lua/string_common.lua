-- Shared helpers for String / Int / Float scripts (included with --!include string_common).
-- Values are raw Redis strings; String values are UTF-8 and indexed by code point.

-- GET that reports a key of another Redis type as an error reply (Redis 6.2 and 7 alike).
local function get_string(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' and v.err then return nil, v end
  return v, nil
end

-- Number of code points of a UTF-8 string, and a function mapping a 0-based code point index
-- (0..n) to the 1-based byte offset where it starts (#s + 1 for n).
local function utf8_index(s)
  if not s:find('[\128-\255]') then
    return #s, function(i) return i + 1 end
  end
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
