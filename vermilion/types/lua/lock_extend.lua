-- Extend / renew a lease if ARGV[1] still owns it.  KEYS[1] lock (string) or rlock (hash);
-- ARGV: token, ms, mode ('add': remaining + ms, 'set': ms), kind ('s' string, 'h' hash).
-- Returns 1 when extended, 0 when the lease is not held by the token.
--!include lock_common
local key = KEYS[1]
local owner
if ARGV[4] == 'h' then
  local err = wrong_type(key, 'hash', 'rlock')
  if err then return redis.error_reply(err) end
  owner = redis.call('HGET', key, 'owner')
else
  local err = wrong_type(key, 'string', 'lock')
  if err then return redis.error_reply(err) end
  owner = redis.call('GET', key)
end
if owner ~= ARGV[1] then return 0 end
local ms = tonumber(ARGV[2])
if ARGV[3] == 'add' then
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then ms = ms + ttl end
end
redis.call('PEXPIRE', key, ms)
return 1
