-- dict.popitem(): remove an arbitrary field, return {field, value}.  KEYS[1]; ARGV[1]
-- (optional): the field to take if it exists (the one a transaction checked before its commit).
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
if ARGV[1] then
  local v = redis.call('HGET', KEYS[1], ARGV[1])
  if v then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return {ARGV[1], v}
  end
end
local pair = redis.call('HRANDFIELD', KEYS[1], 1, 'WITHVALUES')
if #pair == 0 then return redis.error_reply('VM KeyError popitem(): dictionary is empty') end
redis.call('HDEL', KEYS[1], pair[1])
return pair
