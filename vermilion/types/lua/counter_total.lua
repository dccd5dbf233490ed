-- Sum of all counts (Counter.total()); read-only.  KEYS[1].  Returns the sum as a string.
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local s = 0
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #all, 2 do s = s + tonumber(all[i]) end
return string.format('%.17g', s)
