-- Shared helpers for the SQL VFS scripts (included with --!include sql_common).
-- KEYS of every script: 1 meta, 2 pages, 3 pv, 4 lock, 5 readers, 6 fence, 7 commits, 8 stage,
-- 9 queue, 10 qexp (one hash tag; see vermilion/sql/keys.py).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The live writer lease as {owner, fence, state, exp} or nil when free or expired.
local function live_writer(lock_key, now)
  local l = redis.call('HMGET', lock_key, 'owner', 'fence', 'state', 'exp')
  if not l[1] or tonumber(l[4]) <= now then return nil end
  return l
end

-- Take the writer lease for owner: a fresh fencing token from INCR.  Pages a previous writer
-- staged (and never committed) are dropped.
local function take_writer(lock_key, fence_key, stage_key, owner, base, now, lease)
  local fence = redis.call('INCR', fence_key)
  redis.call('UNLINK', stage_key)
  -- every field of the lock hash is set here, so the previous lease's fields never linger
  redis.call('HSET', lock_key, 'owner', owner, 'fence', fence, 'state', 'RESERVED',
    'base', base, 'exp', now + lease)
  redis.call('PEXPIRE', lock_key, lease)
  return fence
end

-- Writers waiting for the writer lease, first come first served: KEYS[9] waiter -> ticket
-- (from the fencing counter), KEYS[10] waiter -> expiry (ms; a waiter refreshes it each time it
-- asks again, so a crashed waiter leaves the queue by itself).  The first live waiter returned (or nil).
local function first_waiter(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now)
  if #gone > 0 then
    redis.call('ZREM', KEYS[9], unpack(gone))
    redis.call('ZREM', KEYS[10], unpack(gone))
  end
  return redis.call('ZRANGE', KEYS[9], 0, 0)[1]
end

-- The wake list of a waiting writer, <hash tag>:wake:<waiter> (same slot as KEYS[1], the meta
-- key): the waiter blocks on it (BLPOP) between its requests.
local function wake_key(waiter)
  return string.sub(KEYS[1], 1, -5) .. 'wake:' .. waiter
end

-- Tell the first waiting writer (if any) that the writer lease may be free: it asks at once.
local function wake_first(now)
  local first = first_waiter(now)
  if first then
    local key = wake_key(first)
    redis.pcall('LPUSH', key, 1)
    redis.pcall('PEXPIRE', key, 5000)
  end
end

-- Release the writer lease if (owner, fence) still holds it, and wake the first waiting writer.
-- Returns 1 if it did, 0 if that lease was not held any more.
local function release_writer(owner, fence, now)
  local w = live_writer(KEYS[4], now)
  if not w or w[1] ~= owner or w[2] ~= fence then return 0 end
  redis.call('DEL', KEYS[4])
  wake_first(now)
  return 1
end

-- Whether the state (v, h) a client saw - version v, produced by the commit with id h ('' for
-- none) - is in the database's history: 1 if it is (the current state, or an earlier one whose
-- commit id is remembered at that version), 0 if it is not, 2 if that cannot be told any more
-- (v is older than every commit id remembered).  Versions alone cannot tell: after a rollback
-- (restart from an older snapshot, failover to a lagging replica) other commits can bring the
-- version back to v with other pages; commit ids are random, so that history never matches.
local function in_history(v, h, version, head)
  if v < 0 or v > version then return 0 end
  if v == version then return h == head and 1 or 0 end
  if v == 0 then return h == '' and 1 or 0 end  -- the empty database every history starts from
  local at = tonumber(redis.call('ZSCORE', KEYS[7], h) or -1)
  if at == v then return 1 end
  local oldest = redis.call('ZRANGE', KEYS[7], 0, 0, 'WITHSCORES')[2]
  if at < 0 and (not oldest or v < tonumber(oldest)) then return 2 end
  return 0
end
