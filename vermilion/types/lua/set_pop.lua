-- Set.pop inside a transaction: remove ARGV[1] (the member checked before the commit), or an
-- arbitrary member (as SPOP) if an earlier write of the transaction removed it.  KEYS[1].
-- Returns the removed member, or nil if the set is empty.
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then return ARGV[1] end
return redis.call('SPOP', KEYS[1])
