-- Semaphore.release.  KEYS[1] holders zset, KEYS[2] extra permits, KEYS[3] signal list;
-- ARGV: extra permits to add, signal ttl ms, value, tokens to release...
-- Returns how many of the tokens still held a live lease (the others had expired).
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'zset', 'semaphore')
if err then return redis.error_reply(err) end
local now = now_ms()
local live = 0
for i = 4, #ARGV do
  local score = redis.call('ZSCORE', key, ARGV[i])
  if score then
    if tonumber(score) > now then live = live + 1 end
    redis.call('ZREM', key, ARGV[i])
  end
end
local extra = tonumber(ARGV[1])
if extra > 0 then redis.call('INCRBY', KEYS[2], extra) end
local cap = tonumber(ARGV[3]) + (tonumber(redis.call('GET', KEYS[2])) or 0)
signal(KEYS[3], live + extra, tonumber(ARGV[2]), cap)
return live
