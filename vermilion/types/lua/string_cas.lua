-- Compare-and-set of a raw string value (optimistic read-compute-write done in Python).
-- KEYS[1]; ARGV: '1' if the key was present else '0', expected value, new value.
-- Returns {1} when written, or {0, current value or nil} when the value changed meanwhile.
--!include string_common
local cur, err = get_string(KEYS[1])
if err then return err end
local same
if ARGV[1] == '1' then same = (cur == ARGV[2]) else same = (cur == false) end
if not same then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[3])
return {1}
