-- call_chunked(cmd, key, items, first, last): `cmd key items[first..last]` sent in chunks of at
-- most 1000 arguments (Lua's unpack has a small stack limit; 1000 is even, so field/value or
-- score/member pairs stay whole).  Included with --!include chunked.
local function call_chunked(cmd, key, items, first, last)
  local i = first
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call(cmd, key, unpack(items, i, j))
    i = j + 1
  end
end
