-- In-place set algebra.  KEYS[1]: the set; KEYS[2..]: other sets in the same slot.
-- ARGV[1]: 'or' | 'and' | 'sub' | 'xor'; ARGV[2]: '1' if plain members were given;
-- ARGV[3..]: plain members (or: to add; and: the intersection of the plain operands;
-- sub: to remove; xor: the distinct members of the other operand).  Returns the new size.
--!include set_common
local err = check_set_types(KEYS)
if err then return err end
local key, op, n = KEYS[1], ARGV[1], #ARGV
local others = #KEYS > 1
if op == 'or' then
  set_cmd_all('SADD', key, ARGV, 3, n)
  if others then redis.call('SUNIONSTORE', key, unpack(KEYS)) end
elseif op == 'sub' then
  set_cmd_all('SREM', key, ARGV, 3, n)
  if others then redis.call('SDIFFSTORE', key, unpack(KEYS)) end
elseif op == 'and' then
  if ARGV[2] == '1' then
    local keep = {}
    for i = 3, n do
      if redis.call('SISMEMBER', key, ARGV[i]) == 1 then keep[#keep + 1] = ARGV[i] end
    end
    redis.call('DEL', key)
    set_cmd_all('SADD', key, keep, 1, #keep)
  end
  if others then redis.call('SINTERSTORE', key, unpack(KEYS)) end
elseif op == 'xor' then
  local members
  if others then
    members = redis.call('SMEMBERS', KEYS[2])
  else
    members = {}
    for i = 3, n do members[#members + 1] = ARGV[i] end
  end
  for _, m in ipairs(members) do
    if redis.call('SREM', key, m) == 0 then redis.call('SADD', key, m) end
  end
end
return redis.call('SCARD', key)
