-- Read an entry, or take the lease to compute it.
-- KEYS: the entry <P>:e:<key> (the namespace's other keys are derived from it: same slot).
-- ARGV: lease token, lease ms, mode ('first': a caller's first look; 'again': a waiter looking
-- again; 'force': the entry could not be decoded, take the lease whatever it holds; 'peek': only
-- a fresh entry, {4} if there is none, no lease), then the hits and negative hits this caller
-- counted since it last sent them (added to the counters when this call writes: a hit itself
-- writes nothing).
-- Returns {1, payload} fresh value; {3} fresh "not found"; {2, lease pttl} another caller holds
-- the lease; {0, seq0, lease-time ms, why} the lease is this caller's (why: 'miss', 'stale',
-- 'foreign': not an entry's format; 'corrupt': the caller could not decode it).
--!include cache_common
local entry = KEYS[1]
local token, mode = ARGV[1], ARGV[3]
local cut = string.find(entry, '}', 1, true)
local ns = string.sub(entry, 1, cut)
local why = 'miss'
if mode ~= 'force' then
  local v = redis.call('GET', entry)
  if v then
    why = 'foreign'
    local nl = string.find(v, '\n', 1, true)
    local sp = nl and string.sub(v, 1, 5) == 'VMC1 ' and string.find(v, ' ', 6, true)
    local seq0 = sp and sp < nl and tonumber(string.sub(v, 6, sp - 1))
    if seq0 then
      why = 'stale'
      local names, n, prefix = {}, 0, ns .. ':t:'
      for dep in each_dep(string.sub(v, sp + 3, nl - 1)) do
        n = n + 1
        names[n] = prefix .. dep
      end
      local fresh = n > 0
      if fresh then
        local records = redis.call('MGET', unpack(names))
        for i = 1, n do
          local r = records[i]
          if not r or tonumber(r) > seq0 then
            fresh = false
            break
          end
        end
      end
      if fresh then  -- a hit writes nothing: the caller counts hits and sends them with a miss
        if string.byte(v, sp + 1) == 110 then return {3} end  -- 'n': a cached "not found"
        return {1, string.sub(v, nl + 1)}
      end
    end
  end
else
  why = 'corrupt'
end
if mode == 'peek' then return {4} end
local lease, stats = ns .. ':l:' .. string.sub(entry, cut + 4), ns .. ':stats'
local holder = redis.call('GET', lease)
if holder and holder ~= token and mode ~= 'force' then
  if mode == 'first' then redis.call('HINCRBY', stats, 'waits', 1) end
  return {2, redis.call('PTTL', lease)}
end
redis.call('SET', lease, token, 'PX', ARGV[2])
if mode ~= 'again' then redis.call('HINCRBY', stats, 'misses', 1) end
local hits, negative = tonumber(ARGV[4] or '0'), tonumber(ARGV[5] or '0')
if hits > 0 then redis.call('HINCRBY', stats, 'hits', hits) end
if negative > 0 then redis.call('HINCRBY', stats, 'negative_hits', negative) end
if why == 'foreign' then redis.call('HINCRBY', stats, 'foreign', 1) end
return {0, current_seq(ns .. ':seq'), string.format('%.0f', now_ms()), why}
