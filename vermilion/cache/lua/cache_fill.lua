-- Store a computed entry, unless one of its deps was invalidated since the lease was taken.
-- KEYS: entry, lease, seq, stats.  ARGV: tag-record prefix, lease token, seq0, lease time ms,
-- fill window ms, ttl ms, flag ('v' / 'n'), deps (joined by \31), payload.
-- Returns 1 stored, 0 refused (an invalidation since the lease, or the fill came too late).
-- The lease is released if it is still this caller's.
--!include cache_common
local entry, lease, seq_key, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, token = ARGV[1], ARGV[2]
local seq0, t0, window, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local function done(stored)
  if redis.call('GET', lease) == token then redis.call('DEL', lease) end
  redis.call('HINCRBY', stats, stored == 1 and 'fills' or 'refused', 1)
  return stored
end

if now_ms() - t0 > window then return done(0) end
local cur = redis.call('GET', seq_key)
if not cur then return done(0) end
cur = tonumber(cur)
local keep = ttl + window
local missing = {}
for dep in each_dep(ARGV[8]) do
  local k = prefix .. dep
  local r = redis.call('GET', k)
  if r then
    if tonumber(r) > seq0 then return done(0) end
    local pttl = redis.call('PTTL', k)
    if pttl >= 0 and pttl < keep then redis.call('PEXPIRE', k, keep) end
  else
    -- no record: never invalidated, or its record is gone; safe only if nothing at all was
    -- invalidated in the namespace since the lease
    if cur > seq0 then return done(0) end
    missing[#missing + 1] = k
  end
end
for _, k in ipairs(missing) do redis.call('SET', k, ARGV[3], 'PX', keep) end
redis.call('SET', entry, 'VMC1 ' .. ARGV[3] .. ' ' .. ARGV[7] .. ' ' .. ARGV[8] .. '\n' .. ARGV[9],
           'PX', ttl)
return done(1)
