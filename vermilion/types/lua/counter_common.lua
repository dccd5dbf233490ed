-- Shared helpers for MultiSet scripts (included with --!include counter_common).
local function check_zset_types(keys)
  -- nil if every key holds a sorted set or nothing; else the WRONGTYPE error naming the key
  for _, k in ipairs(keys) do
    local t = redis.call('TYPE', k)['ok']
    if t ~= 'zset' and t ~= 'none' then
      return redis.error_reply('VM WRONGTYPE key ' .. k .. ' holds a ' .. t ..
        ', not a sorted set (MultiSet)')
    end
  end
  return nil
end

local function zadd_pairs(key, items, first, last)
  -- ZADD key score member ... for items[first..last] (score, member pairs) in chunks
  local i = first
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call('ZADD', key, unpack(items, i, j))
    i = j + 1
  end
end
