-- Condition.wait timed out: remove the waiter if it was not notified.  KEYS[1] waiters;
-- ARGV[1] token.  Returns 1 if it was still waiting (timed out), 0 if it had been notified.
return redis.call('LREM', KEYS[1], 1, ARGV[1])
