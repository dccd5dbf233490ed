-- Queue.renew(): restart the visibility of deliveries still in flight.
-- KEYS: [1] in-flight hash, [2] visibility sorted set.  ARGV: visibility ms, delivery ids...
-- Returns how many were still in flight.
--!include queue_common
local now = queue_now_ms()
local lease = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], now + lease, ARGV[i])
    n = n + 1
  end
end
return n
