-- Barrier.wait, arrival.  KEYS[1] state hash {gen, count, broken, busy}, KEYS[2] event
-- stream; ARGV: parties, has_action ('1'/'0'), action lease (ms).
-- Returns {status, index, generation, last stream id}: status -1 broken, -2 an action is
-- running (wait for the next event and retry), 0 wait, 1 last arrival (run the action then
-- release; it holds the busy state until busy_until, Redis-clock ms, and renews it with
-- lock_barrier_change 'renew'), 2 last arrival, already released.
--!include lock_common
local h, s = KEYS[1], KEYS[2]
local err = wrong_type(h, 'hash', 'barrier') or wrong_type(s, 'stream', 'barrier')
if err then return redis.error_reply(err) end
local last = redis.call('XREVRANGE', s, '+', '-', 'COUNT', 1)
last = (#last == 0) and '0-0' or last[1][1]
if redis.call('HGET', h, 'broken') == '1' then return {-1, 0, 0, last} end
if redis.call('HGET', h, 'busy') == '1' then return {-2, 0, 0, last} end
local gen = tonumber(redis.call('HGET', h, 'gen')) or 0
local index = redis.call('HINCRBY', h, 'count', 1) - 1
if index + 1 < tonumber(ARGV[1]) then return {0, index, gen, last} end
if ARGV[2] == '1' then
  redis.call('HSET', h, 'busy', '1', 'busy_until', now_ms() + tonumber(ARGV[3]))
  return {1, index, gen, last}
end
redis.call('HSET', h, 'gen', gen + 1, 'count', 0)
redis.call('XADD', s, 'MAXLEN', '~', 1000, '*', 'e', 'r', 'g', gen)
return {2, index, gen, last}
