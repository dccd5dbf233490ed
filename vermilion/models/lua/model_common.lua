-- Shared by the model scripts.  A model with key prefix P keeps (all in P's Cluster slot):
--   {P}:<id>         the object: a hash, one field per model field, plus _v (its version)
--   {P}:<id>:<name>  its children (lists, sets, hashes), deleted and expired with it
--   {P}#ids          sorted set of every live id (score 0: ordered by id)
--   {P}#exp          sorted set id -> expiry deadline (ms, Redis's clock)
--   {P}#ix           hash id -> the index entries the object was stored with
--   {P}#seq          version counter
--   {P}#i:<field>    sorted set (score 0) of <ordered encoding of the value><id><len(id), 2 bytes>
--   {P}#u:<field>    hash <encoded value> -> id (unique fields)
--   {P}#built        set of the indexes that hold every object ("i:<field>", "u:<field>"): an
--                    index added to a model with objects is not, until it is rebuilt
-- ARGV[1] is "{P}", ARGV[2] the children names separated by ",".

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An index record is a sequence of entries "<kind><len(name)>:<name><len(member)>:<member>",
-- kind "i" (an entry of {P}#i:<name>) or "u" (a value owned in {P}#u:<name>).
local function entries(rec)
  local out = {}
  if not rec then return out end
  local pos, n = 1, #rec
  while pos <= n do
    local kind = string.sub(rec, pos, pos)
    local c = string.find(rec, ':', pos + 1, true)
    local len = tonumber(string.sub(rec, pos + 1, c - 1))
    local name = string.sub(rec, c + 1, c + len)
    pos = c + len + 1
    c = string.find(rec, ':', pos, true)
    len = tonumber(string.sub(rec, pos, c - 1))
    out[#out + 1] = {kind, name, string.sub(rec, c + 1, c + len)}
    pos = c + len + 1
  end
  return out
end

local function unindex(base, id, rec)
  for _, e in ipairs(entries(rec)) do
    if e[1] == 'i' then
      redis.call('ZREM', base .. '#i:' .. e[2], e[3])
    else
      local ukey = base .. '#u:' .. e[2]
      if redis.call('HGET', ukey, e[3]) == id then redis.call('HDEL', ukey, e[3]) end
    end
  end
end

-- "a,b,c" -> {"a", "b", "c"} (children names, index names)
local function names(spec)
  local out = {}
  for name in string.gmatch(spec, '[^,]+') do out[#out + 1] = name end
  return out
end
local children = names

-- Forget one object: its index entries, its id, its deadline, its hash and its children.
local function forget(base, kids, id)
  unindex(base, id, redis.call('HGET', base .. '#ix', id))
  redis.call('HDEL', base .. '#ix', id)
  redis.call('ZREM', base .. '#ids', id)
  redis.call('ZREM', base .. '#exp', id)
  local key = base .. ':' .. id
  redis.call('DEL', key)
  for _, name in ipairs(kids) do redis.call('DEL', key .. ':' .. name) end
end

-- Reclaim every object whose deadline has passed (deadline < now, as Redis expires keys), so
-- no query, count or unique check can meet it.  Amortised: each expiry is reclaimed once.
local function reclaim(base, kids, now)
  local expired = redis.call('ZRANGEBYSCORE', base .. '#exp', '-inf', '(' .. now)
  for _, id in ipairs(expired) do forget(base, kids, id) end
  return #expired
end

local function mark_built(base, spec)
  local list = names(spec)
  if #list > 0 then redis.call('SADD', base .. '#built', unpack(list)) end
end

-- The first of these indexes that is not complete, or nil.
local function not_built(base, spec)
  for _, name in ipairs(names(spec)) do
    if redis.call('SISMEMBER', base .. '#built', name) == 0 then return name end
  end
  return nil
end
