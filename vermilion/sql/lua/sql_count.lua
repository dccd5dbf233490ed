-- Add statistics counters of a database, unless it was dropped meanwhile.
-- KEYS: 1 meta, 2 stats.  ARGV: field / increment pairs.  Returns 1 if added, 0 if dropped.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
