-- After a write to a child container (KEYS[2]), give it its parent's (KEYS[1]) expiry, so a
-- child created after its parent was saved with a TTL expires with it.
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
elseif ttl == -1 then
  redis.call('PERSIST', KEYS[2])
end
return ttl
