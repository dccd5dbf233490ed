-- Shared helpers for dict scripts (included with --!include dict_common).
local function hash_or_none(key)
  -- 'hash' or 'none'; a key of another type raises WRONGTYPE (Redis 6.2 scripts do not pass
  -- the command's own WRONGTYPE through unchanged, so check explicitly)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'hash' and t ~= 'none' then
    return nil, redis.error_reply('VM WRONGTYPE key holds a ' .. t .. ', not a hash')
  end
  return t, nil
end

--!include chunked
local function hset_all(key, args, first, last)
  -- HSET field/value pairs args[first..last], in chunks
  call_chunked('HSET', key, args, first, last)
end
