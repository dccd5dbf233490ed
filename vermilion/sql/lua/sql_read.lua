-- Fetch pages of the version a reader works on.  ARGV: version, page numbers...
-- Returns {'OK', page or false...} or {'STALE', version} if the database moved on.
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return {'STALE', -1} end
if tonumber(version) ~= tonumber(ARGV[1]) then return {'STALE', tonumber(version)} end
local out = {'OK'}
for i = 2, #ARGV do out[i] = redis.call('HGET', KEYS[2], ARGV[i]) end
return out
