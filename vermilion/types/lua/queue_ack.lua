-- queue.task_done(): acknowledge a delivery and decrement the unfinished-tasks counter.
-- KEYS: [1] unfinished counter (deleted at 0), [2] in-flight hash, [3] visibility sorted set.
-- ARGV: [1] delivery id to acknowledge ('' when this consumer holds none).
-- Returns the new count; -1 when the delivery was no longer in flight (its visibility ended and
-- it was requeued: the redelivered copy carries the task, so the counter is left alone; this
-- also makes a resent acknowledgement harmless).  ValueError if no task is unfinished (the
-- delivery is acknowledged all the same).
local id = ARGV[1]
if id ~= '' then
  if redis.call('HDEL', KEYS[2], id) == 0 then return -1 end
  redis.call('ZREM', KEYS[3], id)
end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n == nil or n <= 0 then
  return redis.error_reply('VM ValueError task_done() called too many times')
end
if n == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
