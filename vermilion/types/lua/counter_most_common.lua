-- most_common(n): flat {member, count, ...} by decreasing count, ties in insertion order;
-- read-only.  KEYS: key, order key.  ARGV[1]: n ('' for every element; n >= 1).
--!include counter_common
local err = check_zset_types(KEYS)
if err then return err end
local key, okey = KEYS[1], KEYS[2]
local n = tonumber(ARGV[1])
local flat
if n then
  local nth = redis.call('ZREVRANGE', key, n - 1, n - 1, 'WITHSCORES')
  if #nth == 0 then
    flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  else  -- every element tied with the nth one may come first
    flat = redis.call('ZREVRANGEBYSCORE', key, '+inf', nth[2], 'WITHSCORES')
  end
else
  flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
end
local members, rows = {}, {}
for i = 1, #flat, 2 do members[#members + 1] = flat[i] end
local seqs = zmscore(okey, members)
for i, m in ipairs(members) do
  local s = seqs[i]
  rows[i] = {m, flat[2 * i], tonumber(flat[2 * i]), s and tonumber(s) or math.huge}
end
table.sort(rows, function(a, b)
  if a[3] ~= b[3] then return a[3] > b[3] end
  if a[4] ~= b[4] then return a[4] < b[4] end
  return a[1] < b[1]  -- elements outside the order key (written by other clients)
end)
local out = {}
local last = #rows
if n and n < last then last = n end
for i = 1, last do
  out[#out + 1] = rows[i][1]
  out[#out + 1] = rows[i][2]
end
return out
