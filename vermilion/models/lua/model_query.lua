--!include model_common
-- Evaluate a query on one model: filter, order, paginate, project and join, in one script.
-- ARGV: base, children, the indexes the query reads ("i:<field>" / "u:<field>"), then the filter as a prefix expression:
--   "A"                          every live object
--   "L" name lo hi               ids whose entry in {P}#i:<name> is in [lo, hi] (ZRANGEBYLEX)
--   "U" name value               the owner of value in {P}#u:<name>
--   "I" n id...                  these ids, if live
--   "P" field npath path... mode op default nargs arg...
--                                a test of a stored field (mode "r": raw text, "j": JSON,
--                                "t": exact encoded text); costs one HGET per candidate
--   "&" n expr... | "|" n expr... | "!" expr
-- then: norder (name kind dir default)...  (kind "i": index, "r"/"j": stored field; dir a/d)
--       offset limit (limit -1: all)
--       fetch: "C" count | "I" ids | "F" whole objects | "O" n field... (projection)
--       njoin (field base2)...       load the objects these reference fields point to
local base, kids = ARGV[1], children(ARGV[2])
reclaim(base, kids, now_ms())
local unbuilt = not_built(base, ARGV[3])
-- a model with no object has every index complete (its first write marks them so)
if unbuilt and redis.call('ZCARD', base .. '#ids') > 0 then
  return redis.error_reply('VMINDEX ' .. unbuilt)
end

local pos = 4
local function arg() local v = ARGV[pos]; pos = pos + 1; return v end

local function parse()
  local t = arg()
  local node = {t = t}
  if t == 'L' then
    node.name, node.lo, node.hi = arg(), arg(), arg()
  elseif t == 'U' then
    node.name, node.value = arg(), arg()
  elseif t == 'I' then
    node.ids = {}
    for i = 1, tonumber(arg()) do node.ids[i] = arg() end
  elseif t == 'P' then
    node.field = arg()
    node.path = {}
    for i = 1, tonumber(arg()) do node.path[i] = arg() end
    node.mode, node.op, node.default = arg(), arg(), arg()
    node.args = {}
    for i = 1, tonumber(arg()) do node.args[i] = arg() end
  elseif t == '&' or t == '|' then
    node.kids = {}
    for i = 1, tonumber(arg()) do node.kids[i] = parse() end
  elseif t == '!' then
    node.kid = parse()
  end
  return node
end

local plan = parse()
local order = {}
for i = 1, tonumber(arg()) do
  order[i] = {name = arg(), kind = arg(), dir = arg(), default = arg()}
end
local offset, limit = tonumber(arg()), tonumber(arg())
local fetch = arg()
local only = {}
if fetch == 'O' then
  for i = 1, tonumber(arg()) do only[i] = arg() end
end
local joins = {}
for i = 1, tonumber(arg()) do joins[i] = {field = arg(), base = arg()} end

local function id_of(member)
  local n = string.byte(member, -2) * 256 + string.byte(member, -1)
  return string.sub(member, -2 - n, -3)
end

local universe
local function all()
  if not universe then
    universe = {}
    for _, id in ipairs(redis.call('ZRANGE', base .. '#ids', 0, -1)) do universe[id] = true end
  end
  return universe
end

-- Integers beyond 2^53 lose precision as Lua numbers (stored as JSON text up to int64, tagged
-- "int" beyond): they are kept as {[BIG] = true, neg = <bool>, digits = <text>}, compared exactly.
local BIG, TWO53 = {}, 9007199254740992

local function integer(text)
  local sign, digits = string.match(text, '^(%-?)0*(%d+)$')
  if not digits then return nil end
  local n = tonumber(text)
  if math.abs(n) < TWO53 then return n end
  return {[BIG] = true, neg = sign == '-', digits = digits}
end

-- JSON values: a tagged vermilion value ({"$t": ..., "v": ...}) is looked at through "v"
-- (big ints exactly, infinite floats as numbers).
local function untag(v)
  if type(v) == 'table' and v['$t'] ~= nil and v['v'] ~= nil then
    local t, x = v['$t'], v['v']
    if t == 'int' and type(x) == 'string' then return integer(x) or x end
    if t == 'float' and x == 'inf' then return math.huge end
    if t == 'float' and x == '-inf' then return -math.huge end
    return x
  end
  return v
end

local function decode(text)
  if #text > 15 then
    local n = integer(text)
    if n then return n end
  end
  local ok, v = pcall(cjson.decode, text)
  if not ok then return nil end
  return untag(v)
end

local function rank(v)
  local t = type(v)
  if v == nil or v == cjson.null then return 0 end
  if t == 'boolean' then return 1 end
  if t == 'number' then return 2 end
  if t == 'string' then return 3 end
  if t == 'table' and v[BIG] then return 2 end
  return 4
end

-- Strings compare bytewise (Lua's < follows the server's LC_COLLATE, which Redis sets from
-- its environment): Python's order for str, since UTF-8 keeps code point order.
local function bless(a, b)
  if a == b then return false end
  local n = math.min(#a, #b)
  local i = 1
  while i <= n do
    local j = math.min(i + 15, n)
    if string.sub(a, i, j) ~= string.sub(b, i, j) then
      for k = i, j do
        local x, y = string.byte(a, k), string.byte(b, k)
        if x ~= y then return x < y end
      end
    end
    i = j + 1
  end
  return #a < #b
end

-- a < b, one of them big: compared by sign, then decimal digits (a number at least 2^53 in
-- magnitude is an integer, printed exactly by %.0f)
local function bigless(a, b)
  if type(a) == 'number' and not (math.abs(a) >= TWO53 and math.abs(a) < math.huge) then
    if a == math.huge then return false end
    return a == -math.huge or not b.neg
  end
  if type(b) == 'number' and not (math.abs(b) >= TWO53 and math.abs(b) < math.huge) then
    if b == -math.huge then return false end
    return b == math.huge or a.neg
  end
  local an, ad, bn, bd
  if type(a) == 'table' then an, ad = a.neg, a.digits else an, ad = a < 0, string.format('%.0f', math.abs(a)) end
  if type(b) == 'table' then bn, bd = b.neg, b.digits else bn, bd = b < 0, string.format('%.0f', math.abs(b)) end
  if an ~= bn then return an end
  if ad == bd then return false end
  local lt = #ad < #bd or (#ad == #bd and bless(ad, bd))
  if an then return not lt end
  return lt
end

local function less(a, b)
  local ra, rb = rank(a), rank(b)
  if ra ~= rb then return ra < rb end
  if ra == 1 then return (not a) and b end
  if ra == 2 and type(a) == 'number' and type(b) == 'number' then return a < b end
  if ra == 2 then return bigless(a, b) end
  if ra == 3 then return bless(a, b) end
  return false
end

local function comparable(a, b)
  local ra = rank(a)
  return ra == rank(b) and (ra == 2 or ra == 3)
end

local function field_value(node, id)
  local text = redis.call('HGET', base .. ':' .. id, node.field)
  if not text then text = node.default end
  if node.mode ~= 'j' then return text end
  local v = decode(text)
  for _, step in ipairs(node.path) do
    if type(v) ~= 'table' then return nil end
    v = untag(v[step])
  end
  return v
end

local function operands(node)
  if not node.values then
    node.values = {}
    for i, a in ipairs(node.args) do
      if node.mode == 'j' then node.values[i] = decode(a) else node.values[i] = a end
    end
  end
  return node.values
end

local function test(node, id)
  local v = field_value(node, id)
  local ops = operands(node)
  local op = node.op
  if op == 'eq' or op == 'ne' or op == 'in' or op == 'nin' then
    local found = false
    for _, o in ipairs(ops) do
      if v == o or (node.mode == 'j' and comparable(v, o) and not less(v, o) and not less(o, v)) then
        found = true
        break
      end
    end
    if op == 'eq' or op == 'in' then return found end
    return not found
  end
  local o = ops[1]
  if op == 'sw' then
    return type(v) == 'string' and string.sub(v, 1, #o) == o
  end
  if op == 'like' then
    return type(v) == 'string' and string.find(v, o) ~= nil
  end
  if not comparable(v, o) then return false end
  if op == 'lt' then return less(v, o) end
  if op == 'le' then return not less(o, v) end
  if op == 'gt' then return less(o, v) end
  if op == 'ge' then return not less(v, o) end
  return false
end

local function eval(node, cand)
  local out = {}
  local t = node.t
  if t == 'A' then
    return cand or all()
  elseif t == 'L' then
    for _, m in ipairs(redis.call('ZRANGEBYLEX', base .. '#i:' .. node.name, node.lo, node.hi)) do
      local id = id_of(m)
      if not cand or cand[id] then out[id] = true end
    end
  elseif t == 'U' then
    local id = redis.call('HGET', base .. '#u:' .. node.name, node.value)
    if id and (not cand or cand[id]) then out[id] = true end
  elseif t == 'I' then
    for _, id in ipairs(node.ids) do
      if (not cand or cand[id]) and redis.call('ZSCORE', base .. '#ids', id) then
        out[id] = true
      end
    end
  elseif t == 'P' then
    for id in pairs(cand or all()) do
      if test(node, id) then out[id] = true end
    end
  elseif t == '&' then
    out = cand
    for _, kid in ipairs(node.kids) do
      out = eval(kid, out)
      if next(out) == nil then break end
    end
    out = out or all()
  elseif t == '|' then
    for _, kid in ipairs(node.kids) do
      for id in pairs(eval(kid, cand)) do out[id] = true end
    end
  elseif t == '!' then
    local inner = eval(node.kid, cand)
    for id in pairs(cand or all()) do
      if not inner[id] then out[id] = true end
    end
  end
  return out
end

local function window(n)
  local first = offset + 1
  local last = n
  if limit >= 0 and offset + limit < n then last = offset + limit end
  return first, last
end

local ids
local single = #order == 1 and order[1].kind == 'i'
local by_id = #order == 0 or (#order == 1 and order[1].kind == 'k')
if fetch == 'C' and plan.t == 'A' then
  return redis.call('ZCARD', base .. '#ids')
elseif fetch == 'C' and plan.t == 'L' then
  return redis.call('ZLEXCOUNT', base .. '#i:' .. plan.name, plan.lo, plan.hi)
elseif fetch ~= 'C' and ((plan.t == 'A' and by_id) or
    (single and (plan.t == 'A' or (plan.t == 'L' and plan.name == order[1].name)))) then
  -- straight off one sorted set, O(log N + offset + limit)
  local key, lo, hi = base .. '#ids', '-', '+'
  if single then key = base .. '#i:' .. order[1].name end
  if plan.t == 'L' then lo, hi = plan.lo, plan.hi end
  local args = {}
  if limit >= 0 then args = {'LIMIT', offset, limit} elseif offset > 0 then args = {'LIMIT', offset, -1} end
  local members
  if #order == 1 and order[1].dir == 'd' then
    members = redis.call('ZREVRANGEBYLEX', key, hi, lo, unpack(args))
  else
    members = redis.call('ZRANGEBYLEX', key, lo, hi, unpack(args))
  end
  ids = {}
  for i, m in ipairs(members) do
    if single then ids[i] = id_of(m) else ids[i] = m end
  end
else
  local set = eval(plan, nil)
  local all_ids = {}
  for id in pairs(set) do all_ids[#all_ids + 1] = id end
  if fetch == 'C' then return #all_ids end
  -- the sort keys of every candidate
  local keys = {}
  for _, id in ipairs(all_ids) do
    local k = {}
    for j, o in ipairs(order) do
      if o.kind == 'k' then
        k[j] = id
      elseif o.kind == 'i' then
        local rec = redis.call('HGET', base .. '#ix', id)
        for _, e in ipairs(entries(rec)) do
          -- the value's encoding: the entry without the id and its length
          if e[1] == 'i' and e[2] == o.name then k[j] = string.sub(e[3], 1, #e[3] - 2 - #id) break end
        end
        k[j] = k[j] or ''
      else
        local text = redis.call('HGET', base .. ':' .. id, o.name) or o.default
        if o.kind == 'j' then k[j] = decode(text) else k[j] = text end
      end
    end
    keys[id] = k
  end
  local lastdir = 'a'
  if #order > 0 then lastdir = order[#order].dir end
  -- no order and no page: every match, in id order, which the client sorts (cheaper there)
  if #order > 0 or offset > 0 or limit >= 0 then table.sort(all_ids, function(a, b)
    local ka, kb = keys[a], keys[b]
    for j, o in ipairs(order) do
      local x, y = ka[j], kb[j]
      if less(x, y) then return o.dir == 'a' end
      if less(y, x) then return o.dir ~= 'a' end
    end
    if lastdir == 'a' then return bless(a, b) end
    return bless(b, a)
  end) end
  ids = {}
  local first, last = window(#all_ids)
  for i = first, last do ids[#ids + 1] = all_ids[i] end
end

if fetch == 'C' then return #ids end
if fetch == 'I' then return ids end
local rows = {}
for _, id in ipairs(ids) do
  local key = base .. ':' .. id
  local row
  if fetch == 'O' then
    row = {id, redis.call('HMGET', key, '_v', unpack(only))}
  else
    row = {id, redis.call('HGETALL', key)}
  end
  if fetch == 'O' or #row[2] > 0 then
    for j, jn in ipairs(joins) do
      local ref = redis.call('HGET', key, jn.field)
      local target = ref and decode(ref)
      if type(target) == 'string' then
        row[2 + j] = {target, redis.call('HGETALL', target)}
      else
        row[2 + j] = false
      end
    end
    rows[#rows + 1] = row
  end
end
return rows
