-- Renew the leases of the given semaphore tokens that are still live.  KEYS[1] holders zset;
-- ARGV: lease ms, tokens...  Returns how many were renewed.
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'zset', 'semaphore')
if err then return redis.error_reply(err) end
local now = now_ms()
local lease = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', key, ARGV[i])
  if score and tonumber(score) > now then
    redis.call('ZADD', key, 'XX', now + lease, ARGV[i])
    n = n + 1
  end
end
if n > 0 then
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', key, math.max(1, tonumber(last[2]) - now))
end
return n
