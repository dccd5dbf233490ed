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

-- Wake priority-queue waiters: the signal list holds one element while the queue is not empty.
local function queue_signal(sig)
  if redis.call('LLEN', sig) == 0 then redis.call('RPUSH', sig, '1') end
end

-- Put a record back where consumers take next (head of a FIFO, top of a LIFO, its score in a
-- priority queue).  A set-queue value queued again meanwhile is merged with it (one task: the
-- unfinished counter `unf` loses the redelivered one).
local function queue_requeue(kind, side, rec, q, aux, unf)
  if kind == 'zset' then
    local sp = string.find(rec, ' ', 1, true)
    redis.call('ZADD', q, string.sub(rec, 1, sp - 1), string.sub(rec, sp + 1))
    queue_signal(aux)
    return
  end
  if kind == 'set' and redis.call('SADD', aux, rec) == 0 then
    local n = tonumber(redis.call('GET', unf) or '0') or 0
    if n > 1 then redis.call('DECR', unf) elseif n == 1 then redis.call('DEL', unf) end
    return
  end
  if side == 'L' then redis.call('LPUSH', q, rec) else redis.call('RPUSH', q, rec) end
end

-- Deliveries whose visibility ended (at most 100 per call): requeued ('ack' mode) or dropped.
local function queue_recover(kind, side, mode, now, q, inflight, vis, aux, unf)
  local due = redis.call('ZRANGEBYSCORE', vis, '-inf', now, 'LIMIT', 0, 100)
  if #due == 0 then return end
  for i = #due, 1, -1 do  -- the earliest deadline ends up nearest the consumers' end
    local rec = redis.call('HGET', inflight, due[i])
    if rec then
      redis.call('HDEL', inflight, due[i])
      if mode == 'ack' then queue_requeue(kind, side, rec, q, aux, unf) end
    end
  end
  redis.call('ZREM', vis, unpack(due))
end
