--!include model_common
-- Rebuild the index entries of some objects (a chunk of a reindex).
-- ARGV: base, children, then triples (id, version, record): an object whose version is still
-- the one read gets its old entries removed and these added; an object saved since already has
-- its entries.  A unique value another object holds is not claimed: it is reported.
-- Returns {number reindexed, field1, value1, id1, owner1, ...} (the unique collisions).
local base, kids = ARGV[1], children(ARGV[2])
reclaim(base, kids, now_ms())
local done, out = 0, {}
for i = 3, #ARGV, 3 do
  local id, version, rec = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', base .. ':' .. id, '_v') == version then
    unindex(base, id, redis.call('HGET', base .. '#ix', id))
    local kept = {}
    for _, e in ipairs(entries(rec)) do
      if e[1] == 'i' then
        redis.call('ZADD', base .. '#i:' .. e[2], 0, e[3])
        kept[#kept + 1] = e
      else
        local ukey = base .. '#u:' .. e[2]
        local owner = redis.call('HGET', ukey, e[3])
        if owner and owner ~= id then
          out[#out + 1] = e[2]; out[#out + 1] = e[3]; out[#out + 1] = id; out[#out + 1] = owner
        else
          redis.call('HSET', ukey, e[3], id)
          kept[#kept + 1] = e
        end
      end
    end
    local packed = {}
    for _, e in ipairs(kept) do
      packed[#packed + 1] = e[1] .. #e[2] .. ':' .. e[2] .. #e[3] .. ':' .. e[3]
    end
    redis.call('HSET', base .. '#ix', id, table.concat(packed))
    done = done + 1
  end
end
table.insert(out, 1, done)
return out
