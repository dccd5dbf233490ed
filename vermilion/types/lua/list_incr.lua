-- list[index] += n as one atomic increment (list[index] was read as an integer; see
-- TrackedInt).  KEYS[1]; ARGV: index, n, fallback (the encoded old + n).
-- The stored item + n is written when it is still an integer within +-2^53; otherwise the
-- fallback, as the plain read-then-write would have.  IndexError if the index is now out of
-- range.  Returns the value written.
--!include int_incr
local key = KEYS[1]
local t = redis.call('TYPE', key)['ok']
if t ~= 'list' and t ~= 'none' then
  return redis.error_reply('VM WRONGTYPE key holds a ' .. t .. ', not a list')
end
local cur = redis.call('LINDEX', key, tonumber(ARGV[1]))
if not cur then return redis.error_reply('VM IndexError ' .. ARGV[4]) end
local new = incremented(cur, ARGV[2]) or ARGV[3]
redis.call('LSET', key, tonumber(ARGV[1]), new)
return new
