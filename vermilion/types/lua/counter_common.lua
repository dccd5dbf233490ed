-- Shared helpers for MultiSet scripts (included with --!include counter_common).
-- A MultiSet is two sorted sets: KEY (member -> count) and its order key {KEY}:order
-- (member -> first-insertion sequence number), kept in step by every writing script.
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

local function prepare(key, okey)
  -- before writing: type check; an order key left behind by a main key deleted outside
  -- vermilion (plain DEL, expiry of the main key only) is dropped
  local err = check_zset_types({key, okey})
  if err then return err end
  if redis.call('EXISTS', key) == 0 then redis.call('DEL', okey) end
  return nil
end

local function order_adder(okey)
  -- a function registering a member at the end of the insertion order (no-op if present)
  local top = redis.call('ZREVRANGE', okey, 0, 0, 'WITHSCORES')
  local seq = 1
  if #top > 0 then seq = tonumber(top[2]) + 1 end
  return function(m)
    if redis.call('ZADD', okey, 'NX', seq, m) == 1 then seq = seq + 1 end
  end
end

local function zadd_pairs(key, okey, items, first, last)
  -- ZADD key score member ... for items[first..last] (score, member pairs) in chunks, and
  -- register the members in that order
  local add = order_adder(okey)
  local i = first
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call('ZADD', key, unpack(items, i, j))
    for k = i + 1, j, 2 do add(items[k]) end
    i = j + 1
  end
end

local function zrem_all(key, okey, members)
  -- ZREM members from both keys, in chunks
  local i = 1
  while i <= #members do
    local j = math.min(i + 999, #members)
    redis.call('ZREM', key, unpack(members, i, j))
    redis.call('ZREM', okey, unpack(members, i, j))
    i = j + 1
  end
end

local function zmscore(key, members)
  -- scores of members (false where absent), ZMSCORE in chunks
  local out = {}
  local i = 1
  while i <= #members do
    local j = math.min(i + 999, #members)
    local got = redis.call('ZMSCORE', key, unpack(members, i, j))
    for k = 1, j - i + 1 do out[#out + 1] = got[k] end
    i = j + 1
  end
  return out
end

local function ordered_members(key, okey)
  -- every member of key in insertion order; members written by other clients straight into
  -- the sorted set (absent from the order key) come last, in sorted-set order
  local ms = redis.call('ZRANGE', okey, 0, -1)
  if #ms == redis.call('ZCARD', key) then return ms end
  local out, known = {}, {}
  local scores = zmscore(key, ms)
  for i, m in ipairs(ms) do
    known[m] = true
    if scores[i] then out[#out + 1] = m end
  end
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if not known[m] then out[#out + 1] = m end
  end
  return out
end

local function ordered_items(key, okey)
  -- flat {member, count, ...} of key in insertion order
  local ms = ordered_members(key, okey)
  local scores = zmscore(key, ms)
  local out = {}
  for i, m in ipairs(ms) do
    if scores[i] then
      out[#out + 1] = m
      out[#out + 1] = scores[i]
    end
  end
  return out
end
