-- Commit a write transaction atomically (run from SQLITE_FCNTL_SYNC).
-- ARGV: owner, fence, base version, commit id, npages, page_size, nstaged, then nstaged page
-- numbers sent ahead with sql_stage, then page number / bytes pairs.
-- Checks, in order: commit id already applied ('DONE', with the version it produced: a retry
-- after a lost reply, even if other commits came after it), writer lease and fencing token
-- ('FENCED'), base version ('CONFLICT'), staged pages all present ('STAGE_LOST'), other live
-- readers ('BUSY', and the lease becomes PENDING so new readers wait).  Then writes the pages,
-- records them in pv, bumps the version, remembers the commit id (at least the last MAX_COMMITS ones; trimmed every 64 commits),
-- and releases the writer lease and the owner's reader lease.  Returns {status, version}.
--!include sql_common
local MAX_COMMITS = 1024
local owner, fence, base, commit_id = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local npages, page_size, nstaged = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local m = redis.call('HMGET', KEYS[1], 'version', 'npages')
if not m[1] then return {'MISSING', 0} end
local version = tonumber(m[1])
local done = redis.call('ZSCORE', KEYS[7], commit_id)
if done then return {'DONE', tonumber(done)} end
local now = now_ms()
local w = live_writer(KEYS[4], now)
if not w or w[1] ~= owner or w[2] ~= fence then return {'FENCED', version} end
if version ~= base then return {'CONFLICT', version} end
if nstaged > 0 then
  if redis.call('HGET', KEYS[8], '_id') ~= commit_id
      or redis.call('HLEN', KEYS[8]) ~= nstaged + 1 then
    return {'STAGE_LOST', version}
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local n = redis.call('ZCARD', KEYS[5])
if n > 1 or (n == 1 and not redis.call('ZSCORE', KEYS[5], owner)) then
  redis.call('HSET', KEYS[4], 'state', 'PENDING')
  return {'BUSY', version}
end
local new = version + 1
local first = 8 + nstaged
for i = 8, first - 1 do
  redis.call('HSET', KEYS[2], ARGV[i], redis.call('HGET', KEYS[8], ARGV[i]))
  redis.call('ZADD', KEYS[3], new, ARGV[i])
end
if nstaged > 0 then redis.call('UNLINK', KEYS[8]) end
for i = first, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], new, ARGV[i])
end
local old = tonumber(m[2])
for p = npages + 1, old do
  redis.call('HDEL', KEYS[2], p)
  redis.call('ZADD', KEYS[3], new, p)
end
redis.call('HSET', KEYS[1], 'version', new, 'npages', npages)
if old == 0 then redis.call('HSET', KEYS[1], 'page_size', page_size) end
redis.call('ZADD', KEYS[7], new, commit_id)
if new % 64 == 0 then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -(MAX_COMMITS + 1)) end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], owner)
return {'OK', new}
