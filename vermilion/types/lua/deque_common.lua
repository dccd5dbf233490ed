-- Shared helpers for Deque scripts (included with --!include deque_common, after list_common).
-- A Deque's maxlen lives in its auxiliary key ({key}:maxlen); absent means unbounded.

local function check_list(key)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= 'list' then
    return redis.error_reply('VM WRONGTYPE key holds a ' .. t .. ', not a list')
  end
  return nil
end

local function get_maxlen(mkey)
  local m = redis.call('GET', mkey)
  if m then return tonumber(m) end
  return nil
end

-- Keep at most m items, discarding from the left (side 'R') or from the right (side 'L').
local function trim(key, m, side)
  if m == nil then return end
  if m == 0 then redis.call('DEL', key) return end
  if side == 'R' then redis.call('LTRIM', key, -m, -1) else redis.call('LTRIM', key, 0, m - 1) end
end
