-- Remove the expiry of every key of one object.  KEYS: main key, aux keys.
-- Returns 1 if the main key had an expiry, else 0.
local removed = 0
for i, k in ipairs(KEYS) do
  if redis.call('PERSIST', k) == 1 and i == 1 then removed = 1 end
end
return removed
