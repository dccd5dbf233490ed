-- Read an entry, or take the lease to compute it.
-- KEYS: entry, lease, seq, stats.  ARGV: tag-record prefix, lease token, lease ms,
-- mode ('first': a caller's first look; 'again': a waiter looking again; 'force': the entry
-- could not be decoded, take the lease whatever it holds; 'peek': only a fresh entry, {4} if
-- there is none, no lease).
-- Returns {1, payload} fresh value; {3} fresh "not found"; {2, lease pttl} another caller holds
-- the lease; {0, seq0, lease-time ms, why} the lease is this caller's (why: 'miss', 'stale',
-- 'foreign').
--!include cache_common
local entry, lease, seq_key, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, token, mode = ARGV[1], ARGV[2], ARGV[4]
local why = 'miss'
if mode ~= 'force' then
  local v = redis.call('GET', entry)
  if v then
    why = 'stale'
    local nl = string.find(v, '\n', 1, true)
    local head = nl and string.sub(v, 1, nl - 1)
    local seq0, flag, deps
    if head then
      seq0, flag, deps = string.match(head, '^VMC1 (%d+) ([vn]) (.+)$')
    end
    if not seq0 then
      why = 'foreign'
    else
      local fresh = true
      seq0 = tonumber(seq0)
      for dep in each_dep(deps) do
        local r = redis.call('GET', prefix .. dep)
        if not r or tonumber(r) > seq0 then
          fresh = false
          break
        end
      end
      if fresh then
        if flag == 'n' then
          redis.call('HINCRBY', stats, 'negative_hits', 1)
          return {3}
        end
        redis.call('HINCRBY', stats, 'hits', 1)
        return {1, string.sub(v, nl + 1)}
      end
    end
  end
else
  why = 'corrupt'
end
if mode == 'peek' then return {4} end
local holder = redis.call('GET', lease)
if holder and holder ~= token and mode ~= 'force' then
  if mode == 'first' then redis.call('HINCRBY', stats, 'waits', 1) end
  return {2, redis.call('PTTL', lease)}
end
redis.call('SET', lease, token, 'PX', ARGV[3])
if mode ~= 'again' then redis.call('HINCRBY', stats, 'misses', 1) end
if why == 'foreign' then redis.call('HINCRBY', stats, 'foreign', 1) end
return {0, current_seq(seq_key), string.format('%.0f', now_ms()), why}
