-- One chunk of iteration in insertion order; read-only.  KEYS: key, order key.
-- ARGV[1]: the sequence number of the last element seen ('0' at the start); ARGV[2]: chunk size.
-- Returns {flat member, count pairs, next cursor or false}.  The last chunk also holds the
-- elements written by other clients straight into the sorted set (absent from the order key).
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local key, okey, size = KEYS[1], KEYS[2], tonumber(ARGV[2])
local got = redis.call('ZRANGEBYSCORE', okey, '(' .. ARGV[1], '+inf', 'WITHSCORES',
  'LIMIT', 0, size)
local members = {}
for i = 1, #got, 2 do members[#members + 1] = got[i] end
local scores = zmscore(key, members)
local out = {}
for i, m in ipairs(members) do
  if scores[i] then
    out[#out + 1] = m
    out[#out + 1] = scores[i]
  end
end
if #members == size then return {out, got[#got]} end
if redis.call('ZCARD', okey) < redis.call('ZCARD', key) then
  local all = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local allm = {}
  for i = 1, #all, 2 do allm[#allm + 1] = all[i] end
  local seqs = zmscore(okey, allm)
  for i, m in ipairs(allm) do
    if not seqs[i] then
      out[#out + 1] = m
      out[#out + 1] = all[2 * i]
    end
  end
end
return {out, false}
