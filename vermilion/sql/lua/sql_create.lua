-- Open a database: create its meta if missing and asked to, and peek at its header.
-- ARGV: create (0/1), epoch, page_size, format.
-- Returns {exists, npages, page_size, page 1 or false} (exists 0: missing and not created).
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] ~= '1' then return {0, 0, 0, false} end
  redis.call('HSET', KEYS[1], 'format', ARGV[4], 'page_size', ARGV[3], 'npages', 0, 'version', 0,
    'epoch', ARGV[2])
end
local m = redis.call('HMGET', KEYS[1], 'npages', 'page_size')
return {1, tonumber(m[1]), tonumber(m[2]), redis.call('HGET', KEYS[2], 1)}
