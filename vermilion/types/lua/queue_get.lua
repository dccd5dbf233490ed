-- Queue get: deliver one item, idempotently.  The item moves from the queue into the in-flight
-- records under the caller's delivery id, so a lost reply loses nothing: resent with the same id,
-- the script hands the same item over again.
-- KEYS: [1] queue (list; sorted set for priority queues), [2] in-flight hash, [3] visibility
--   sorted set, [4] unfinished-tasks counter, [5] member set (set queues) or wake-up signal list
--   (priority queues).
-- ARGV: [1] kind ('list' | 'set' | 'zset'), [2] end taken from ('L' head | 'R' tail),
--   [3] mode ('ack': kept until task_done | 'auto': kept only for a resend), [4] visibility ms,
--   [5] nf, then nf delivery ids to forget (received 'auto' deliveries), then candidate ids:
--   earlier gets of this consumer whose outcome is unknown, and last the fresh id.
-- Returns {delivery id, stored item} or nil when the queue is empty.
--!include queue_common
local q, inflight, vis, unf, aux = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
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
queue_recover(kind, side, mode, now, q, inflight, vis, aux, unf)
local rec
if kind == 'zset' then
  local top = redis.call('ZPOPMIN', q)
  if #top == 0 then return false end
  if redis.call('ZCARD', q) == 0 then redis.call('DEL', aux) end
  rec = top[2] .. ' ' .. top[1]
else
  if side == 'L' then rec = redis.call('LPOP', q) else rec = redis.call('RPOP', q) end
  if not rec then return false end
  if kind == 'set' then redis.call('SREM', aux, rec) end
end
local id = ARGV[#ARGV]
redis.call('HSET', inflight, id, rec)
redis.call('ZADD', vis, now + lease, id)
return {id, queue_item(kind, rec)}
