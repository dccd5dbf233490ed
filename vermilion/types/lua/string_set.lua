-- Set a raw string value, refusing keys of another Redis type.
-- KEYS[1]; ARGV: value, mode ('nx': only if the key does not exist).  Returns 1 if written.
--!include string_common
local _, err = get_string(KEYS[1])
if err then return err end
if ARGV[2] == 'nx' then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 1 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
