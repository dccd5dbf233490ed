-- Renew or release leases of one process on one database.
-- ARGV: lease ms, then triples op, owner, fence; op is 'r' (renew reader), 'R' (release reader),
-- 'w' (renew writer), 'W' (release writer).  Writer ops only act on the owner's own lease.
-- Returns one integer per triple: 1 done, 0 lease not held (lost).
--!include sql_common
local lease = tonumber(ARGV[1])
local now = now_ms()
local out = {}
for i = 2, #ARGV, 3 do
  local op, owner, fence = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local ok = 0
  if op == 'r' then
    local s = redis.call('ZSCORE', KEYS[5], owner)
    if s and tonumber(s) > now then
      redis.call('ZADD', KEYS[5], now + lease, owner)
      ok = 1
    end
  elseif op == 'R' then
    ok = redis.call('ZREM', KEYS[5], owner)
  else
    local w = live_writer(KEYS[4], now)
    if w and w[1] == owner and w[2] == fence then
      ok = 1
      if op == 'w' then
        redis.call('HSET', KEYS[4], 'exp', now + lease)
        redis.call('PEXPIRE', KEYS[4], lease)
      else
        redis.call('DEL', KEYS[4])
      end
    end
  end
  out[#out + 1] = ok
end
return out
