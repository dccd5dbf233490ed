-- dict.popitem(): remove the last field and return {field, value}: the last in insertion order
-- while the hash is a listpack/ziplist (small hashes, which Redis keeps in insertion order),
-- else an arbitrary one (HRANDFIELD).  KEYS[1]; ARGV[1] (optional, may be ''): the field to take
-- if it exists (the one a transaction checked before its commit); ARGV[2] = 'peek': return the
-- item that would be taken without removing it (read-only; {} if the hash is empty).
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
local key = KEYS[1]
if ARGV[1] and ARGV[1] ~= '' then
  local v = redis.call('HGET', key, ARGV[1])
  if v then
    redis.call('HDEL', key, ARGV[1])
    return {ARGV[1], v}
  end
end
local n = redis.call('HLEN', key)
local pair = {}
if n > 0 then
  local enc = redis.call('OBJECT', 'ENCODING', key)
  if enc == 'listpack' or enc == 'ziplist' then
    local flat = redis.call('HGETALL', key)
    pair = {flat[#flat - 1], flat[#flat]}
  else
    pair = redis.call('HRANDFIELD', key, 1, 'WITHVALUES')
  end
end
if ARGV[2] == 'peek' then return pair end
if #pair == 0 then return redis.error_reply('VM KeyError popitem(): dictionary is empty') end
redis.call('HDEL', key, pair[1])
return pair
