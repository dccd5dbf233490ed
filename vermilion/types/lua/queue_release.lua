-- Undo a delivery (its item could not be decoded): the record goes back where consumers take
-- next (dropped, its task counted done, if the queue was shut down immediately meanwhile).
-- KEYS: as queue_get.  ARGV: kind, end ('L' | 'R'), delivery id.
-- Returns 1 if it was put back, 0 if it was no longer in flight.
--!include queue_common
local rec = redis.call('HGET', KEYS[2], ARGV[3])
if not rec then return 0 end
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
queue_requeue(ARGV[1], ARGV[2], rec, KEYS[1], KEYS[5], KEYS[6], KEYS[4],
              queue_shut(KEYS[6], KEYS[1]))
return 1
