-- Commit a write transaction atomically (run from SQLITE_FCNTL_SYNC).
-- ARGV: 1 owner, 2 fence, 3 base version, 4 commit id, 5 npages, 6 page_size, 7 keep (1: keep
-- the writer lease for the owner's next transaction unless other writers wait for it), 8 lease
-- ms, 9 nstaged, 10 nreaders, 11 base head (the commit id that produced the base version, '' for
-- none), then nstaged page numbers sent ahead with sql_stage, then nreaders reader ids whose
-- leases end (the transaction's own, and finished ones of the same process), then page number /
-- bytes pairs.
-- Checks, in order: commit id already applied ('DONE', with the version it produced: a retry
-- after a lost reply, even if other commits came after it), writer lease and fencing token
-- ('FENCED'), base version and head ('CONFLICT'), staged pages all present ('STAGE_LOST'), other
-- live readers ('BUSY', and the lease becomes PENDING so new readers wait).  Then writes the
-- pages, records them in pv, bumps the version, sets the head to the commit id, remembers the
-- commit id (at least the last MAX_COMMITS ones: trimmed every 64 commits) and releases the
-- writer lease (the owner's reader lease, if it had one, went before the readers check) or,
-- asked to keep it and no writer waits, renews it in state KEPT (else the first waiting writer is
-- woken).
-- Returns {status, version, kept (1 if the owner still holds the writer lease)}.
--!include sql_common
local MAX_COMMITS = 1024
local owner, fence, base, commit_id = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local npages, page_size = tonumber(ARGV[5]), tonumber(ARGV[6])
local keep, lease = ARGV[7] == '1', tonumber(ARGV[8])
local nstaged, nreaders, base_head = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]
local staged_at = 12
local readers_at = staged_at + nstaged
local m = redis.call('HMGET', KEYS[1], 'version', 'npages', 'head')
if not m[1] then return {'MISSING', 0} end
local version = tonumber(m[1])
local done = redis.call('ZSCORE', KEYS[7], commit_id)
if done then  -- applied before: report whether the lease was kept then (and still is)
  local l = redis.call('HMGET', KEYS[4], 'owner', 'fence')
  return {'DONE', tonumber(done), (l[1] == owner and l[2] == fence) and 1 or 0}
end
local now = now_ms()
local w = live_writer(KEYS[4], now)
if not w or w[1] ~= owner or w[2] ~= fence then return {'FENCED', version} end
if version ~= base or (m[3] or '') ~= base_head then return {'CONFLICT', version} end
if nstaged > 0 then
  if redis.call('HGET', KEYS[8], '_id') ~= commit_id
      or redis.call('HLEN', KEYS[8]) ~= nstaged + 1 then
    return {'STAGE_LOST', version}
  end
end
-- the owner's reader leases (if it upgraded from a read) end here: its writer lease pins the
-- snapshot while it waits for the other readers
redis.call('ZREM', KEYS[5], owner, unpack(ARGV, readers_at, readers_at + nreaders - 1))
if redis.call('ZCOUNT', KEYS[5], '(' .. now, '+inf') > 0 then
  redis.call('HSET', KEYS[4], 'state', 'PENDING')
  return {'BUSY', version}
end
local new = version + 1
local first = readers_at + nreaders
for i = staged_at, readers_at - 1 do
  redis.call('HSET', KEYS[2], ARGV[i], redis.call('HGET', KEYS[8], ARGV[i]))
  redis.call('ZADD', KEYS[3], new, ARGV[i])
end
if nstaged > 0 then redis.call('UNLINK', KEYS[8]) end
if first <= #ARGV then  -- the inline pages (at most one staging chunk): one HSET, one ZADD
  local versions = {}
  for i = first, #ARGV, 2 do
    versions[#versions + 1] = new
    versions[#versions + 1] = ARGV[i]
  end
  redis.call('HSET', KEYS[2], unpack(ARGV, first))
  redis.call('ZADD', KEYS[3], unpack(versions))
end
local old = tonumber(m[2])
for p = npages + 1, old do
  redis.call('HDEL', KEYS[2], p)
  redis.call('ZADD', KEYS[3], new, p)
end
redis.call('HSET', KEYS[1], 'version', new, 'npages', npages, 'head', commit_id)
if old == 0 then redis.call('HSET', KEYS[1], 'page_size', page_size) end
redis.call('ZADD', KEYS[7], new, commit_id)
-- housekeeping: old commit ids; expired readers (crashed processes) after a wait, or now and then
if new % 64 == 0 then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -(MAX_COMMITS + 1)) end
if new % 64 == 0 or w[3] == 'PENDING' then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now) end
if keep and not first_waiter(now) then
  -- KEPT: held between the owner's transactions, its release on the way (see sql_begin)
  redis.call('HSET', KEYS[4], 'state', 'KEPT', 'base', new, 'exp', now + lease)
  redis.call('PEXPIRE', KEYS[4], lease)
  return {'OK', new, 1}
end
redis.call('DEL', KEYS[4])
wake_first(now)
return {'OK', new, 0}
