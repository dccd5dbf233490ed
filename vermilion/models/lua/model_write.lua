--!include model_common
-- Apply a batch of saves and deletes of one model atomically, or nothing.
-- ARGV: base, children, the model's index names ("i:<field>" / "u:<field>", comma-separated),
-- then
--   <ncheck> followed by ncheck pairs (id, version): the object must still have that version
--     ("" = must not exist): the optimistic check of a Unit of Work;
--   <nop> followed by the operations:
--     "S" id mode ttlmode ttlms record nfield field value ...  save (mode "", "nx" or "xx";
--         ttlmode "none", "px" or "keep"; record = the object's index entries)
--     "D" id                                                     delete
-- Returns {"ok", result per op} (a save's new version, a delete's 1/0), or, with nothing
-- written: {"conflict", id} | {"exists", id} | {"missing", id} | {"wrongtype", key, type}
--          | {"unique", field, encoded value, owner id}
local base, kids = ARGV[1], children(ARGV[2])
local now = now_ms()
reclaim(base, kids, now)

local pos = 4
local function arg() local v = ARGV[pos]; pos = pos + 1; return v end

local function version(id)
  return redis.call('HGET', base .. ':' .. id, '_v')
end

for _ = 1, tonumber(arg()) do
  local id, expected = arg(), arg()
  local current = version(id)
  if (expected == '' and current) or (expected ~= '' and current ~= expected) then
    return {'conflict', id}
  end
end

local ops = {}
for _ = 1, tonumber(arg()) do
  local o = {kind = arg(), id = arg()}
  if o.kind == 'S' then
    o.mode, o.ttlmode, o.ttlms, o.record = arg(), arg(), tonumber(arg()), arg()
    local n = tonumber(arg())
    o.fields = {}
    for i = 1, 2 * n do o.fields[i] = arg() end
  end
  ops[#ops + 1] = o
end

-- Check everything before writing anything.
local released, inbatch, claims = {}, {}, {}
for _, o in ipairs(ops) do
  local key = base .. ':' .. o.id
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'hash' and t ~= 'none' then return {'wrongtype', key, t} end
  o.exists = t == 'hash'
  if o.kind == 'S' then
    if o.mode == 'nx' and o.exists then return {'exists', o.id} end
    if o.mode == 'xx' and not o.exists then return {'missing', o.id} end
  end
  inbatch[o.id] = true
  o.oldrec = redis.call('HGET', base .. '#ix', o.id)
  o.old = entries(o.oldrec)
  for _, e in ipairs(o.old) do
    if e[1] == 'u' then released[e[2] .. '\0' .. e[3]] = o.id end
  end
end
-- the first object of a model (or of a model emptied since) makes every index complete
for _, o in ipairs(ops) do
  if ARGV[3] ~= '' and o.kind == 'S' and not o.oldrec then
    if redis.call('ZCARD', base .. '#ids') == 0 then mark_built(base, ARGV[3]) end
    break
  end
end
for _, o in ipairs(ops) do
  if o.kind == 'S' then
    o.new = entries(o.record)
    for _, e in ipairs(o.new) do
      if e[1] == 'u' then
        local slot = e[2] .. '\0' .. e[3]
        local claimed = claims[slot]
        if claimed and claimed ~= o.id then return {'unique', e[2], e[3], claimed} end
        if released[slot] ~= o.id then  -- not a value this object holds already
          local owner = redis.call('HGET', base .. '#u:' .. e[2], e[3])
          if owner and owner ~= o.id and not (released[slot] == owner and inbatch[owner]) then
            return {'unique', e[2], e[3], owner}
          end
        end
        claims[slot] = o.id
      end
    end
  end
end

local function entry_set(list)
  local set = {}
  for _, e in ipairs(list) do set[e[1] .. e[2] .. '\0' .. e[3]] = true end
  return set
end

-- Apply: first every delete and every index entry that goes, then the new state (so values
-- may move between the objects of one batch).
for _, o in ipairs(ops) do
  if o.kind == 'D' then
    o.result = o.exists and 1 or 0
    forget(base, kids, o.id)
  else
    if o.exists and o.ttlmode == 'keep' and redis.call('PTTL', base .. ':' .. o.id) > 0 then
      o.olddeadline = redis.call('ZSCORE', base .. '#exp', o.id)
    end
    local keep = entry_set(o.new)
    for _, e in ipairs(o.old) do
      if not keep[e[1] .. e[2] .. '\0' .. e[3]] then
        if e[1] == 'i' then
          redis.call('ZREM', base .. '#i:' .. e[2], e[3])
        else
          local ukey = base .. '#u:' .. e[2]
          if redis.call('HGET', ukey, e[3]) == o.id then redis.call('HDEL', ukey, e[3]) end
        end
      end
    end
  end
end
for _, o in ipairs(ops) do
  if o.kind == 'S' then
    local key = base .. ':' .. o.id
    if o.exists then redis.call('DEL', key) end
    local v = redis.call('INCR', base .. '#seq')
    o.fields[#o.fields + 1] = '_v'
    o.fields[#o.fields + 1] = v
    redis.call('HSET', key, unpack(o.fields))
    local had = entry_set(o.old)
    for _, e in ipairs(o.new) do
      if not had[e[1] .. e[2] .. '\0' .. e[3]] then
        if e[1] == 'i' then
          redis.call('ZADD', base .. '#i:' .. e[2], 0, e[3])
        else
          redis.call('HSET', base .. '#u:' .. e[2], e[3], o.id)
        end
      end
    end
    if o.record ~= o.oldrec then redis.call('HSET', base .. '#ix', o.id, o.record) end
    if not o.oldrec then redis.call('ZADD', base .. '#ids', 0, o.id) end
    if o.ttlmode == 'px' then
      -- one absolute deadline for Redis and for #exp (Redis 7.2+ computes a script's PEXPIRE
      -- from the script's start, not from TIME)
      local deadline = now + o.ttlms
      redis.call('PEXPIREAT', key, deadline)
      for _, name in ipairs(kids) do redis.call('PEXPIREAT', key .. ':' .. name, deadline) end
      redis.call('ZADD', base .. '#exp', deadline, o.id)
    elseif o.ttlmode == 'keep' and o.olddeadline then
      redis.call('PEXPIREAT', key, o.olddeadline)
    elseif o.exists then
      redis.call('ZREM', base .. '#exp', o.id)
      for _, name in ipairs(kids) do redis.call('PERSIST', key .. ':' .. name) end
    end
    o.result = v
  end
end
local out = {'ok'}
for _, o in ipairs(ops) do out[#out + 1] = o.result end
return out
