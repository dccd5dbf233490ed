-- Send pages of a large commit ahead of it (one chunk per call) into the stage hash.
-- ARGV: owner, fence, commit id, then page number / bytes pairs.
-- The stage hash holds the pages of one commit id (field '_id'); pages of another commit id are
-- dropped first.  Taking the writer lease also drops them (take_writer), so a fenced or crashed
-- writer's pages never reach a commit.  Returns {'OK'} or {'FENCED'}.
--!include sql_common
local owner, fence, commit_id = ARGV[1], ARGV[2], ARGV[3]
local w = live_writer(KEYS[4], now_ms())
if not w or w[1] ~= owner or w[2] ~= fence then return {'FENCED'} end
if redis.call('HGET', KEYS[8], '_id') ~= commit_id then
  redis.call('UNLINK', KEYS[8])
  redis.call('HSET', KEYS[8], '_id', commit_id)
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[8], ARGV[i], ARGV[i + 1])
end
return {'OK'}
