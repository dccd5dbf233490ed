-- Take the writer lease (SQLite RESERVED) for a reader that holds a transaction at base version.
-- ARGV: owner, lease ms, base version.  Returns {'OK', fence} | {'BUSY'} | {'STALE', version}.
--!include sql_common
local owner, lease, base = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or -1)
if version ~= base then return {'STALE', version} end
local w = live_writer(KEYS[4], now)
if w and w[1] ~= owner then
  redis.call('HSET', KEYS[4], 'wanted', 1)  -- a holder keeping it lets it go at its next commit
  return {'BUSY'}
end
redis.call('ZADD', KEYS[5], now + lease, owner)
return {'OK', take_writer(KEYS[4], KEYS[6], KEYS[8], owner, base, now, lease)}
