-- Shared helpers of the queue scripts (included with --!include queue_common).
-- Delivery model: a get moves an item from the queue into the in-flight hash (delivery id ->
-- record) and gives it a visibility deadline in a sorted set (delivery id -> ms, Redis clock).
-- task_done() acknowledges (deletes) it; a delivery whose deadline passes is requeued by the
-- next get of any consumer (at-least-once), or, for a SimpleQueue ('auto' mode), dropped.
-- Records: the raw list member, or 'score member' for priority queues.

-- An error message if `key` holds a type other than the queue's kind.
local function queue_wrong_type(key, kind)
  local want = 'list'
  if kind == 'zset' then want = 'zset' end
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return 'VM WRONGTYPE key holds a ' .. t .. ', not a ' .. want
  end
  return nil
end

local function queue_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The stored item of a record (priority queues: the member after the score).
local function queue_item(kind, rec)
  if kind == 'zset' then
    local sp = string.find(rec, ' ', 1, true)
    return string.sub(rec, sp + 1)
  end
  return rec
end

-- The signal list of a queue that has one (every queue but SimpleQueue: `sig` differs from the
-- queue's key) is what blocked getters wait on (a BLMOVE rotation of it) and holds the shutdown
-- state: one element, '1' while the queue is open and not empty, 'S' once it is shut down, 'I'
-- once it is shut down immediately; no element while it is open and empty.
-- The shutdown state: 'S', 'I', or false (open, or a queue without a signal list).
local function queue_shut(sig, q)
  if sig == q then return false end
  local s = redis.call('LINDEX', sig, 0)
  if s == 'S' or s == 'I' then return s end
  return false
end

-- Wake waiters: the signal list holds one element while the queue is not empty (or shut down).
local function queue_signal(sig, q)
  if sig ~= q and redis.call('LLEN', sig) == 0 then redis.call('RPUSH', sig, '1') end
end

-- One unfinished task fewer (the counter `unf` is deleted at 0, never goes below it).
local function queue_task_gone(unf)
  local n = tonumber(redis.call('GET', unf) or '0') or 0
  if n > 1 then redis.call('DECR', unf) elseif n == 1 then redis.call('DEL', unf) end
end

-- Put a record back where consumers take next (head of a FIFO, top of a LIFO, its score in a
-- priority queue).  A set-queue value queued again meanwhile is merged with it (one task: the
-- unfinished counter `unf` loses the redelivered one).  A queue shut down immediately (`shut`
-- 'I') takes nothing back: the record is dropped and its task counted done, as the shutdown did
-- for the items queued then.
local function queue_requeue(kind, side, rec, q, set, sig, unf, shut)
  if shut == 'I' then
    if unf ~= q then queue_task_gone(unf) end
    return
  end
  if kind == 'zset' then
    local sp = string.find(rec, ' ', 1, true)
    redis.call('ZADD', q, string.sub(rec, 1, sp - 1), string.sub(rec, sp + 1))
    queue_signal(sig, q)
    return
  end
  if kind == 'set' and redis.call('SADD', set, rec) == 0 then
    queue_task_gone(unf)
    return
  end
  if side == 'L' then redis.call('LPUSH', q, rec) else redis.call('RPUSH', q, rec) end
  queue_signal(sig, q)
end

-- Deliveries whose visibility ended (at most 100 per call): requeued ('ack' mode) or dropped.
local function queue_recover(kind, side, mode, now, q, inflight, vis, set, sig, unf, shut)
  local due = redis.call('ZRANGEBYSCORE', vis, '-inf', now, 'LIMIT', 0, 100)
  if #due == 0 then return end
  for i = #due, 1, -1 do  -- the earliest deadline ends up nearest the consumers' end
    local rec = redis.call('HGET', inflight, due[i])
    if rec then
      redis.call('HDEL', inflight, due[i])
      if mode == 'ack' then queue_requeue(kind, side, rec, q, set, sig, unf, shut) end
    end
  end
  redis.call('ZREM', vis, unpack(due))
end
