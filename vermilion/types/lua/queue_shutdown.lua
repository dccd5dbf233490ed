-- Queue.shutdown(immediate): Python 3.13's queue.Queue.shutdown, for every process at once.
-- KEYS: [1] the queue (list, or sorted set for priority queues), [2] unfinished-tasks counter,
--   [3] member set (set queues; else KEYS[1]), [4] signal list (holds the state, see
--   queue_common).
-- ARGV: [1] kind ('list' | 'set' | 'zset'), [2] immediate ('1' | '0').
-- The state only moves forward (open -> 'S' -> 'I').  Immediate: the queued items are removed
-- and a task is counted done for each (the counter never below 0: join() returns once the
-- deliveries in flight are acknowledged).  Writing the signal list wakes every blocked getter,
-- whose get script then sees the state; it stays non-empty, so no later get blocks.
-- Returns the number of items removed.
--!include queue_common
local q, unf, set, sig = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kind = ARGV[1]
local immediate = ARGV[2] == '1'
local err = queue_wrong_type(q, kind)
if err then return redis.error_reply(err) end
local shut = queue_shut(sig, q)
local removed = 0
if immediate then
  if kind == 'zset' then removed = redis.call('ZCARD', q) else removed = redis.call('LLEN', q) end
  if removed > 0 then
    redis.call('DEL', q)
    if set ~= q then redis.call('DEL', set) end
    local n = tonumber(redis.call('GET', unf) or '0') or 0
    if n > removed then redis.call('DECRBY', unf, removed) else redis.call('DEL', unf) end
  end
end
local state = 'S'
if immediate then state = 'I' end
if shut ~= 'I' and shut ~= state then
  redis.call('DEL', sig)
  redis.call('RPUSH', sig, state)
end
return removed
