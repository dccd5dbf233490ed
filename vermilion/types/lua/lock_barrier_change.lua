-- Barrier state changes.  KEYS[1] state hash, KEYS[2] event stream; ARGV: op, generation,
-- action lease (ms, 'renew' only).
--   'renew' gen:   the party running gen's action extends its lease on the busy state to
--                  now + lease.  Returns 1, or 0 if gen is no longer busy (released, broken).
--   'check':       a waiter saw no event for a while: if the busy state's lease expired (the
--                  party running the action died), break the barrier.  Returns 0.
--   'release' gen: the action ran; release generation gen.  Returns 1, or 0 if it was broken
--                  or reset meanwhile.
--   'timeout' gen: a waiter of gen timed out: break the barrier unless gen was already
--                  released.  Returns 1 if gen had been released, 0 if now broken.
--   'abort':       break the barrier.  'reset': break the current waiters, start afresh.
--!include lock_common
local h, s = KEYS[1], KEYS[2]
local err = wrong_type(h, 'hash', 'barrier') or wrong_type(s, 'stream', 'barrier')
if err then return redis.error_reply(err) end
local op = ARGV[1]
local cur = tonumber(redis.call('HGET', h, 'gen')) or 0
local broken = redis.call('HGET', h, 'broken') == '1'
if op == 'renew' or op == 'check' then
  local busy, till = unpack(redis.call('HMGET', h, 'busy', 'busy_until'))
  if broken or busy ~= '1' then return 0 end
  if op == 'renew' then
    if cur ~= tonumber(ARGV[2]) then return 0 end
    redis.call('HSET', h, 'busy_until', now_ms() + tonumber(ARGV[3]))
    return 1
  end
  if not till or now_ms() <= tonumber(till) then return 0 end
end
if op == 'release' or op == 'timeout' then
  local gen = tonumber(ARGV[2])
  if cur > gen then return 1 end
  if op == 'release' and not broken then
    redis.call('HSET', h, 'gen', gen + 1, 'count', 0, 'busy', '0')
    redis.call('XADD', s, 'MAXLEN', '~', 1000, '*', 'e', 'r', 'g', gen)
    return 1
  end
  if broken then return 0 end
end
if op == 'reset' then
  redis.call('HSET', h, 'gen', cur + 1, 'count', 0, 'busy', '0', 'broken', '0')
  redis.call('XADD', s, 'MAXLEN', '~', 1000, '*', 'e', 'x', 'g', cur)
  return 0
end
redis.call('HSET', h, 'broken', '1', 'count', 0, 'busy', '0')
redis.call('XADD', s, 'MAXLEN', '~', 1000, '*', 'e', 'b', 'g', cur)
return 0
