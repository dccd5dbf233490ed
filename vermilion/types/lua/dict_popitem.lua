-- dict.popitem(): remove an arbitrary field, return {field, value}.  KEYS[1]
--!include dict_common
local _, err = hash_or_none(KEYS[1])
if err then return err end
local pair = redis.call('HRANDFIELD', KEYS[1], 1, 'WITHVALUES')
if #pair == 0 then return redis.error_reply('VM KeyError popitem(): dictionary is empty') end
redis.call('HDEL', KEYS[1], pair[1])
return pair
