-- Fetch pages of the state a reader works on.  ARGV: version, head (commit id), page numbers...
-- Returns {'OK', page or false...} or {'STALE', version} if the database moved on (or is another
-- history at the same version).
local m = redis.call('HMGET', KEYS[1], 'version', 'head')
if not m[1] then return {'STALE', -1} end
if tonumber(m[1]) ~= tonumber(ARGV[1]) or (m[2] or '') ~= ARGV[2] then
  return {'STALE', tonumber(m[1])}
end
local out = {'OK'}
for i = 3, #ARGV do out[i - 1] = redis.call('HGET', KEYS[2], ARGV[i]) end
return out
