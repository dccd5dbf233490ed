--!include model_common
-- Give one object (and its children) an expiry of ARGV[4] ms, or none (ARGV[4] = "-1").
-- ARGV: base, children, id, ms.  Returns 1, or 0 if the object does not exist.
local base, kids, id, ms = ARGV[1], children(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local now = now_ms()
reclaim(base, kids, now)
local key = base .. ':' .. id
if redis.call('EXISTS', key) == 0 then return 0 end
if ms < 0 then
  redis.call('PERSIST', key)
  for _, name in ipairs(kids) do redis.call('PERSIST', key .. ':' .. name) end
  redis.call('ZREM', base .. '#exp', id)
else
  local deadline = now + ms  -- one absolute deadline for Redis and for #exp
  redis.call('PEXPIREAT', key, deadline)
  for _, name in ipairs(kids) do redis.call('PEXPIREAT', key .. ':' .. name, deadline) end
  redis.call('ZADD', base .. '#exp', deadline, id)
end
return 1
