-- Shared helpers for lock scripts (included with --!include lock_common).
-- wrong_type(key, want, what): an error message if `key` holds a type other than `want`.
local function wrong_type(key, want, what)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return 'VM WRONGTYPE key holds a ' .. t .. ', not a ' .. what
  end
  return nil
end

-- Push `n` wake-up signals onto the list `sig`, keep at most `cap` (one per permit: stale
-- signals only cost a waiter one extra attempt), and let it expire after `ttl` ms.
local function signal(sig, n, ttl, cap)
  if cap > 1000 then cap = 1000 end
  if n > cap then n = cap end
  if n <= 0 then return end
  local items = {}
  for i = 1, n do items[i] = '1' end
  redis.call('RPUSH', sig, unpack(items))
  redis.call('LTRIM', sig, -cap, -1)
  redis.call('PEXPIRE', sig, ttl)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The next fencing token of a lock: an integer above every token the counter `key` handed out
-- and at least Redis' clock in microseconds, so tokens keep growing even if the counter is
-- deleted or Redis restarts from an older snapshot.  Returned as a decimal string.
local function next_fence(key)
  local t = redis.call('TIME')
  local token = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', key) or '0') or 0
  if token <= last then token = last + 1 end
  local s = string.format('%d', token)
  redis.call('SET', key, s)
  return s
end
