-- queue.task_done(): decrement the unfinished-tasks counter KEYS[1] (deleted at 0).
-- Returns the new count; ValueError if it would go below 0.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n == nil or n <= 0 then
  return redis.error_reply('VM ValueError task_done() called too many times')
end
if n == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
