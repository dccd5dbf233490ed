-- counter[elem] = n (ARGV[1] = 'set'), incr (ARGV[1] = 'incr') or setdefault (ARGV[1] =
-- 'default': n only if elem is absent); a new element goes to the end of the insertion order.
-- KEYS: key, order key.  ARGV[2]: count, ARGV[3]: member.  Returns the new count.
--!include counter_common
local err = prepare(KEYS[1], KEYS[2])
if err then return err end
local c
if ARGV[1] == 'set' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  c = ARGV[2]
elseif ARGV[1] == 'default' then
  redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[3])
  c = redis.call('ZSCORE', KEYS[1], ARGV[3])
else
  c = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[3])
end
order_adder(KEYS[2])(ARGV[3])
return c
