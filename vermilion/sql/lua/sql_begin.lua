-- Start a transaction (SQLite SHARED lock), or take the writer lease when the statement about to
-- run writes.
-- ARGV: 1 reader id, 2 lease ms, 3-5 the process cache's version, epoch and head (commit id),
-- 6 want writer (0/1), 7 max changes, 8 waiter id (the connection's), 9 queue expiry ms,
-- 10-11 the version and head this connection saw last, 12 n, then n owner / fence pairs of
-- writer leases of this process to release first (one kept by another connection between its
-- transactions, carried here so that this writer need not wait for it), then reader ids of this
-- process's finished transactions whose leases to release.
-- Returns {status, version, epoch, npages, page_size, fence, page1 or false, flush, head,
-- connection's state in history (1 yes, 0 no, 2 unknown), reader lease registered (1/0),
-- changes...}.
-- status: 'OK' | 'BUSY' (a writer waits for EXCLUSIVE) | 'QUEUED' (the writer lease is held or
-- other writers wait first: ask again; a second field 1 when the lease is only kept between its
-- holder's transactions, its release on the way) | 'MISSING' (no such database).
-- A reader lease that Redis refuses (out of memory: maxmemory reached) is not an error: the
-- read goes on without it (reply 0), its page reads checked against version and head.
--!include sql_common
local reader, lease = ARGV[1], tonumber(ARGV[2])
local cached_version, cached_epoch, cached_head = tonumber(ARGV[3]), ARGV[4], ARGV[5]
local want_writer, max_changes = ARGV[6] == '1', tonumber(ARGV[7])
local waiter, wait_ms = ARGV[8], tonumber(ARGV[9])
local conn_version, conn_head = tonumber(ARGV[10]), ARGV[11]
local nwriters = tonumber(ARGV[12])
local readers_at = 13 + 2 * nwriters
local now = now_ms()
local m = redis.call('HMGET', KEYS[1], 'version', 'epoch', 'npages', 'page_size', 'head')
if not m[1] then return {'MISSING'} end
local version, epoch, head = tonumber(m[1]), m[2], m[5] or ''
for i = 13, readers_at - 1, 2 do release_writer(ARGV[i], ARGV[i + 1], now) end
local w = live_writer(KEYS[4], now)
local fence, leased = 0, 1
if want_writer then
  local first = first_waiter(now)
  if w or (first and first ~= waiter) then
    if not redis.call('ZSCORE', KEYS[9], waiter) then  -- (asking again keeps its place)
      -- a ticket from the fencing counter: strictly increasing, so strictly first come first
      -- served (arrival times in ms would tie, and a tie puts a later waiter first unwoken)
      redis.call('ZADD', KEYS[9], redis.call('INCR', KEYS[6]), waiter)
    end
    redis.call('ZADD', KEYS[10], now + wait_ms, waiter)
    if #ARGV >= readers_at then redis.call('ZREM', KEYS[5], unpack(ARGV, readers_at)) end
    return {'QUEUED', (w and w[3] == 'KEPT') and 1 or 0}
  end
  -- the writer lease pins the snapshot by itself (no other commit can happen while it is held):
  -- no reader lease besides it
  fence = take_writer(KEYS[4], KEYS[6], KEYS[8], reader, version, now, lease)
  if first then
    redis.call('ZREM', KEYS[9], waiter)
    redis.call('ZREM', KEYS[10], waiter)
    redis.call('DEL', wake_key(waiter))  -- a wake-up it did not wait for
  end
else
  if w and w[3] == 'PENDING' then
    if #ARGV >= readers_at then redis.call('ZREM', KEYS[5], unpack(ARGV, readers_at)) end
    return {'BUSY'}
  end
  -- expired readers (crashed processes) are swept by the commit script, not here
  local added = redis.pcall('ZADD', KEYS[5], now + lease, reader)
  if type(added) == 'table' and added.err then leased = 0 end
end
-- (after the writes that Redis may refuse when out of memory: a script that wrote once may go
-- on writing, so a writer's refusal does not depend on releases being carried)
if #ARGV >= readers_at then redis.call('ZREM', KEYS[5], unpack(ARGV, readers_at)) end
local conn_ok = in_history(conn_version, conn_head, version, head)
local out = {'OK', version, epoch, tonumber(m[3]), tonumber(m[4]), fence, false, 0, head,
  conn_ok, leased}
if cached_epoch ~= epoch or in_history(cached_version, cached_head, version, head) ~= 1 then
  out[7], out[8] = redis.call('HGET', KEYS[2], 1), 1
  return out
end
if cached_version == version then return out end
out[7] = redis.call('HGET', KEYS[2], 1)
local changes = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. cached_version, '+inf',
  'LIMIT', 0, max_changes + 1)
if #changes > max_changes then
  out[8] = 1
  return out
end
for i = 1, #changes do out[11 + i] = changes[i] end
return out
