-- Queue get: deliver one item, idempotently.  The item moves from the queue into the in-flight
-- records under the caller's delivery id, so a lost reply loses nothing: resent with the same id,
-- the script hands the same item over again.
-- KEYS: [1] queue (list; sorted set for priority queues), [2] in-flight hash, [3] visibility
--   sorted set, [4] unfinished-tasks counter, [5] member set (set queues), [6] signal list
--   (wake-up and shutdown state; every queue but SimpleQueue).  Unused slots repeat KEYS[1].
-- ARGV: [1] kind ('list' | 'set' | 'zset'), [2] end taken from ('L' head | 'R' tail),
--   [3] mode ('ack': kept until task_done | 'auto': kept only for a resend), [4] visibility ms,
--   [5] nf, then nf delivery ids to forget (received 'auto' deliveries), then candidate ids:
--   earlier gets of this consumer whose outcome is unknown, and last the fresh id.
-- Returns {delivery id, stored item}, nil when the queue is empty, or -1 when the queue is shut
-- down and empty, or shut down immediately (queue.ShutDown).
--!include queue_common
local q, inflight, vis, unf, set, sig = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local kind, side, mode = ARGV[1], ARGV[2], ARGV[3]
local err = queue_wrong_type(q, kind)
if err then return redis.error_reply(err) end
local lease = tonumber(ARGV[4])
local nf = tonumber(ARGV[5])
for i = 6, 5 + nf do
  redis.call('HDEL', inflight, ARGV[i])
  redis.call('ZREM', vis, ARGV[i])
end
local now = queue_now_ms()
for i = 6 + nf, #ARGV do  -- a delivery already made under one of our ids: the same item again
  local rec = redis.call('HGET', inflight, ARGV[i])
  if rec then
    redis.call('ZADD', vis, now + lease, ARGV[i])
    return {ARGV[i], queue_item(kind, rec)}
  end
end
local shut = queue_shut(sig, q)
queue_recover(kind, side, mode, now, q, inflight, vis, set, sig, unf, shut)
if shut == 'I' then return -1 end
local rec, left
if kind == 'zset' then
  local top = redis.call('ZPOPMIN', q)
  if #top > 0 then rec = top[2] .. ' ' .. top[1] end
  left = redis.call('ZCARD', q)
else
  if side == 'L' then rec = redis.call('LPOP', q) else rec = redis.call('RPOP', q) end
  left = redis.call('LLEN', q)
end
-- the signal follows the queue (items written by other programs included), the state stays
if left > 0 then
  queue_signal(sig, q)
elseif not shut and sig ~= q then
  redis.call('DEL', sig)
end
if not rec then
  if shut then return -1 end
  return false
end
if kind == 'set' then redis.call('SREM', set, rec) end
local id = ARGV[#ARGV]
redis.call('HSET', inflight, id, rec)
redis.call('ZADD', vis, now + lease, id)
return {id, queue_item(kind, rec)}
