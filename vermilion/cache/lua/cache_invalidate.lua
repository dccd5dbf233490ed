-- Invalidate tags: every entry depending on one of them becomes a miss, and a fill whose lease
-- was taken before this call is refused.
-- KEYS: seq, stats.  ARGV: tag-record prefix, entry prefix, fill window ms, tag...
-- A tag 'k:<key>' also deletes the entry <entry prefix><key> (freeing its memory at once).
-- Returns the new sequence number.
--!include cache_common
local seq_key, stats = KEYS[1], KEYS[2]
local prefix, entry_prefix, window = ARGV[1], ARGV[2], tonumber(ARGV[3])
current_seq(seq_key)
local s = redis.call('INCR', seq_key)
for i = 4, #ARGV do
  local k = prefix .. ARGV[i]
  local pttl = redis.call('PTTL', k)
  if pttl >= window then
    redis.call('SET', k, s, 'KEEPTTL')
  else
    redis.call('SET', k, s, 'PX', window)
  end
  if string.sub(ARGV[i], 1, 2) == 'k:' then
    redis.call('DEL', entry_prefix .. string.sub(ARGV[i], 3))
  end
end
redis.call('HINCRBY', stats, 'invalidations', #ARGV - 3)
return s
