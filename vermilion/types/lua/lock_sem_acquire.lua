-- Semaphore.acquire attempt.  KEYS[1] holders zset (token -> lease expiry ms), KEYS[2] extra
-- permits (released beyond the holders); ARGV: token, lease ms, value, bounded ('1' | '0').
-- Expired holders are purged first.  Returns 0 when acquired, else ms until the first lease
-- ends (a bound for waiting).
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'zset', 'semaphore')
if err then return redis.error_reply(err) end
local now = now_ms()
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if ARGV[4] == '1' then
  -- a bounded semaphore: leases that expired gave their permits back; extra permits may not
  -- outnumber the holders left (the value never exceeds `value`)
  local extra = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local n = redis.call('ZCARD', key)
  if extra > n then
    if n == 0 then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], n) end
  end
end
local cap = tonumber(ARGV[3]) + (tonumber(redis.call('GET', KEYS[2])) or 0)
if redis.call('ZCARD', key) < cap then
  redis.call('ZADD', key, now + lease, ARGV[1])
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', key, math.max(1, tonumber(last[2]) - now))
  return 0
end
local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if #first == 0 then return lease end
return math.max(1, tonumber(first[2]) - now)
