-- Create a database's meta if it does not exist.  ARGV: epoch, page_size, format.
-- Returns 1 when created, 0 when it existed.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'format', ARGV[3], 'page_size', ARGV[2], 'npages', 0, 'version', 0,
  'epoch', ARGV[1], 'last_commit_id', '')
return 1
