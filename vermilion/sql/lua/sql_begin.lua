-- Start a transaction (SQLite SHARED lock), optionally taking the writer lease too.
-- ARGV: reader id, lease ms, cached version, cached epoch, want writer (0/1), max changes, then
-- reader ids of this process's finished transactions whose leases to release.
-- Returns {status, version, epoch, npages, page_size, fence, page1 or false, flush, changes...}
-- status: 'OK' | 'BUSY' (a writer waits for EXCLUSIVE) | 'MISSING' (no such database).
--!include sql_common
local reader, lease = ARGV[1], tonumber(ARGV[2])
local cached_version, cached_epoch = tonumber(ARGV[3]), ARGV[4]
local want_writer, max_changes = ARGV[5] == '1', tonumber(ARGV[6])
local now = now_ms()
local m = redis.call('HMGET', KEYS[1], 'version', 'epoch', 'npages', 'page_size')
if not m[1] then return {'MISSING'} end
local version = tonumber(m[1])
if #ARGV >= 7 then redis.call('ZREM', KEYS[5], unpack(ARGV, 7)) end
local w = live_writer(KEYS[4], now)
if w and w[1] ~= reader and w[3] == 'PENDING' then return {'BUSY'} end
local fence = 0
if want_writer and w and w[1] ~= reader then redis.call('HSET', KEYS[4], 'wanted', 1) end
if want_writer and (not w or w[1] == reader) then
  -- the writer lease pins the snapshot by itself (no other commit can happen while it is held):
  -- no reader lease besides it
  fence = take_writer(KEYS[4], KEYS[6], KEYS[8], reader, version, now, lease)
else
  -- expired readers (crashed processes) are swept by the commit script, not here
  redis.call('ZADD', KEYS[5], now + lease, reader)
end
local page1 = false
local flush = 0
local out = {'OK', version, m[2], tonumber(m[3]), tonumber(m[4]), fence}
if cached_epoch ~= m[2] or cached_version > version then
  flush = 1
  page1 = redis.call('HGET', KEYS[2], 1)
  out[7], out[8] = page1, flush
  return out
end
if cached_version == version then
  out[7], out[8] = false, 0
  return out
end
page1 = redis.call('HGET', KEYS[2], 1)
local changes = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. cached_version, '+inf',
  'LIMIT', 0, max_changes + 1)
out[7] = page1
if #changes > max_changes then
  out[8] = 1
  return out
end
out[8] = 0
for i = 1, #changes do out[8 + i] = changes[i] end
return out
