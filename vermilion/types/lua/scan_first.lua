-- First chunk of an iteration over a set or hash: everything at once when it is small (one
-- round trip, like SMEMBERS / HGETALL), else the first SSCAN / HSCAN page.
-- KEYS[1]; ARGV: 'set' | 'hash', threshold, count.  Returns {cursor, items} like SSCAN/HSCAN.
local key, kind = KEYS[1], ARGV[1]
local n = redis.call(kind == 'set' and 'SCARD' or 'HLEN', key)
if n <= tonumber(ARGV[2]) then
  return {'0', redis.call(kind == 'set' and 'SMEMBERS' or 'HGETALL', key)}
end
return redis.call(kind == 'set' and 'SSCAN' or 'HSCAN', key, '0', 'COUNT', ARGV[3])
