-- Semaphore.release.  KEYS[1] holders zset, KEYS[2] extra permits, KEYS[3] signal list;
-- ARGV: extra permits to add, signal ttl ms, value, bounded ('1' | '0'), tokens to release...
-- Returns how many of the tokens still held a live lease (the others had expired).
-- A bounded semaphore refuses (changing nothing) a release that would raise its value above
-- `value`: permits released beyond those held may not outnumber the holders left.
--!include lock_common
local key = KEYS[1]
local err = wrong_type(key, 'zset', 'semaphore')
if err then return redis.error_reply(err) end
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local live = 0
for i = 5, #ARGV do
  if redis.call('ZSCORE', key, ARGV[i]) then live = live + 1 end
end
local extra = tonumber(ARGV[1])
if ARGV[4] == '1' then
  local have = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  if have + extra > redis.call('ZCARD', key) - live then
    return redis.error_reply('VM ValueError Semaphore released too many times')
  end
end
for i = 5, #ARGV do redis.call('ZREM', key, ARGV[i]) end
if extra > 0 then redis.call('INCRBY', KEYS[2], extra) end
local cap = tonumber(ARGV[3]) + (tonumber(redis.call('GET', KEYS[2])) or 0)
signal(KEYS[3], live + extra, tonumber(ARGV[2]), cap)
return live
