-- Sizes of two sets and of their intersection (for ==, <=, isdisjoint...); read-only.
-- KEYS[1], KEYS[2].  Returns {size1, size2, common}.
--!include set_common
local err = check_set_types(KEYS)
if err then return err end
local a, b = KEYS[1], KEYS[2]
local ca, cb = redis.call('SCARD', a), redis.call('SCARD', b)
if a == b then return {ca, cb, ca} end
local small, big = a, b
if cb < ca then small, big = b, a end
local common = 0
for _, m in ipairs(redis.call('SMEMBERS', small)) do
  common = common + redis.call('SISMEMBER', big, m)
end
return {ca, cb, common}
