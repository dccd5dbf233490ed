-- Renew or release leases of one process on one database.
-- ARGV: lease ms, then triples op, owner, fence; op is 'r' (renew reader), 'R' (release reader),
-- 'w' (renew writer), 'W' (release writer), 'Q' (leave the writers' queue: owner is the waiter
-- id).  Writer ops only act on the owner's own lease.  A released writer lease wakes the first
-- waiting writer.
-- Returns one integer per triple: 1 done, 0 lease not held (lost) or renewal refused (Redis out
-- of memory: the other ops still run).
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
      local r = redis.pcall('ZADD', KEYS[5], now + lease, owner)
      ok = (type(r) == 'table' and r.err) and 0 or 1
    end
  elseif op == 'R' then
    ok = redis.call('ZREM', KEYS[5], owner)
  elseif op == 'Q' then
    ok = redis.call('ZREM', KEYS[9], owner)
    redis.call('ZREM', KEYS[10], owner)
    redis.call('DEL', wake_key(owner))
    if ok == 1 then wake_first(now) end  -- it may have been first
  elseif op == 'W' then
    ok = release_writer(owner, fence, now)
  else
    local w = live_writer(KEYS[4], now)
    if w and w[1] == owner and w[2] == fence then
      ok = 1
      local r = redis.pcall('HSET', KEYS[4], 'exp', now + lease)
      if type(r) == 'table' and r.err then
        ok = 0
      else
        redis.call('PEXPIRE', KEYS[4], lease)
      end
    end
  end
  out[#out + 1] = ok
end
return out
