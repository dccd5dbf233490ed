-- Shared helpers for the SQL VFS scripts (included with --!include sql_common).
-- KEYS of every script: 1 meta, 2 pages, 3 pv, 4 lock, 5 readers, 6 fence, 7 commits, 8 stage
-- (one hash tag; see vermilion/sql/keys.py).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The live writer lease as {owner, fence, state, exp, wanted} or nil when free or expired
-- (wanted: '1' once another writer asked for it, so a holder keeping it between its
-- transactions lets it go at its next commit).
local function live_writer(lock_key, now)
  local l = redis.call('HMGET', lock_key, 'owner', 'fence', 'state', 'exp', 'wanted')
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
    'base', base, 'exp', now + lease, 'wanted', 0)
  redis.call('PEXPIRE', lock_key, lease)
  return fence
end
