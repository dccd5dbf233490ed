-- Shared helpers for set scripts (included with --!include set_common).
local function check_set_types(keys)
  -- nil if every key holds a set or nothing; else the WRONGTYPE error reply naming the key
  for _, k in ipairs(keys) do
    local t = redis.call('TYPE', k)['ok']
    if t ~= 'set' and t ~= 'none' then
      return redis.error_reply('VM WRONGTYPE key ' .. k .. ' holds a ' .. t .. ', not a set')
    end
  end
  return nil
end

--!include chunked
local set_cmd_all = call_chunked  -- SADD/SREM items[first..last], in chunks
