--!include model_common
-- Finish a reindex: ARGV[3] (the model's indexes) are complete now; ARGV[4] lists index keys of
-- fields no longer indexed, deleted.
local base = ARGV[1]
redis.call('DEL', base .. '#built')
mark_built(base, ARGV[3])
for _, name in ipairs(names(ARGV[4])) do redis.call('DEL', base .. '#' .. name) end
return 1
