-- Take the writer lease (SQLite RESERVED) for a reader that holds a transaction at base version.
-- ARGV: owner, lease ms, base version, base head, waiter id, n, then n owner / fence pairs of
-- writer leases of this process to release first (one kept by another connection between its
-- transactions, carried here as the begin script carries them).
-- Returns {'OK', fence} | {'BUSY', kept} | {'STALE', version}: kept is 1 when the lease is only
-- kept by its holder between transactions (its release on the way).  A reader upgrading to a writer never
-- queues (it holds a reader lease, which the holder's commit would wait for): busy when the
-- lease is held or other writers wait first.
--!include sql_common
local owner, lease, base, base_head, waiter = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
  ARGV[4], ARGV[5]
local now = now_ms()
for i = 7, 6 + 2 * tonumber(ARGV[6] or 0), 2 do release_writer(ARGV[i], ARGV[i + 1], now) end
local m = redis.call('HMGET', KEYS[1], 'version', 'head')
local version = tonumber(m[1] or -1)
if version ~= base or (m[2] or '') ~= base_head then return {'STALE', version} end
local w = live_writer(KEYS[4], now)
if w and w[1] ~= owner then return {'BUSY', (w[3] == 'KEPT') and 1 or 0} end
local first = first_waiter(now)
if first and first ~= waiter then return {'BUSY', 0} end
redis.call('ZADD', KEYS[5], now + lease, owner)
return {'OK', take_writer(KEYS[4], KEYS[6], KEYS[8], owner, base, now, lease)}
