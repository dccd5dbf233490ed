-- d[key] += n as one atomic increment (d[key] was read as an integer; see TrackedInt).
-- KEYS[1]; ARGV: field, n, fallback (the encoded value computed from the read: old + n).
-- The stored value + n is written when the stored value is still an integer within +-2^53;
-- otherwise (deleted, replaced by a non-integer, too large) the fallback, as the plain
-- read-then-write would have.  Returns the value written.
--!include dict_common
--!include int_incr
local _, err = hash_or_none(KEYS[1])
if err then return err end
local new = incremented(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) or ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], new)
return new
