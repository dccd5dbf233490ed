-- Expire every key of one object.  KEYS: main key, aux keys.  ARGV[1]: milliseconds.
-- Returns 1 if the main key exists, else 0.
local found = 0
for i, k in ipairs(KEYS) do
  if redis.call('PEXPIRE', k, ARGV[1]) == 1 and i == 1 then found = 1 end
end
return found
