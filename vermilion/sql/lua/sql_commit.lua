-- Commit a write transaction atomically (run from SQLITE_FCNTL_SYNC).
-- ARGV: owner, fence, base version, commit id, npages, page_size, then page number / bytes pairs.
-- Checks, in order: commit id already applied ('DONE'), writer lease and fencing token
-- ('FENCED'), base version ('CONFLICT'), other live readers ('BUSY', and the lease becomes
-- PENDING so new readers wait).  Then writes the pages, records them in pv, bumps the version,
-- and releases the writer lease and the owner's reader lease.  Returns {status, version}.
--!include sql_common
local owner, fence, base, commit_id = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local npages, page_size = tonumber(ARGV[5]), tonumber(ARGV[6])
local m = redis.call('HMGET', KEYS[1], 'version', 'last_commit_id', 'npages')
if not m[1] then return {'MISSING', 0} end
local version = tonumber(m[1])
if m[2] == commit_id then return {'DONE', version} end
local now = now_ms()
local w = live_writer(KEYS[4], now)
if not w or w[1] ~= owner or w[2] ~= fence then return {'FENCED', version} end
if version ~= base then return {'CONFLICT', version} end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local n = redis.call('ZCARD', KEYS[5])
if n > 1 or (n == 1 and not redis.call('ZSCORE', KEYS[5], owner)) then
  redis.call('HSET', KEYS[4], 'state', 'PENDING')
  return {'BUSY', version}
end
local new = version + 1
for i = 7, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], new, ARGV[i])
end
local old = tonumber(m[3])
for p = npages + 1, old do
  redis.call('HDEL', KEYS[2], p)
  redis.call('ZADD', KEYS[3], new, p)
end
redis.call('HSET', KEYS[1], 'version', new, 'npages', npages, 'last_commit_id', commit_id)
if old == 0 then redis.call('HSET', KEYS[1], 'page_size', page_size) end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], owner)
return {'OK', new}
