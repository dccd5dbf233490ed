-- Shared helpers for list scripts (included with --!include list_common).
--!include chunked
local function push_all(key, items, first, last, cmd)
  -- RPUSH (or cmd, e.g. LPUSH) items[first..last], in chunks
  call_chunked(cmd or 'RPUSH', key, items, first, last)
end

-- list.insert(i, value) with Python's clamping of i; tombstone is a value the list cannot hold
-- (LINSERT needs a unique pivot).  Returns the new length.
local function insert_at(key, i, value, tombstone)
  local len = redis.call('LLEN', key)
  if i < 0 then
    i = i + len
    if i < 0 then i = 0 end
  end
  if i >= len then return redis.call('RPUSH', key, value) end
  if i == 0 then return redis.call('LPUSH', key, value) end
  local old = redis.call('LINDEX', key, i)
  redis.call('LSET', key, i, tombstone)
  redis.call('LINSERT', key, 'BEFORE', tombstone, value)
  redis.call('LSET', key, i + 1, old)
  return len + 1
end

local function opt_int(s)
  if s == nil or s == '' then return nil end
  return tonumber(s)
end

-- Python's slice.indices(length): returns start, stop (0-based, stop exclusive) for the step.
local function slice_indices(len, start, stop, step)
  local lower, upper
  if step < 0 then lower, upper = -1, len - 1 else lower, upper = 0, len end
  local function clamp(v, default)
    if v == nil then return default end
    if v < 0 then
      v = v + len
      if v < lower then v = lower end
    elseif v > upper then
      v = upper
    end
    return v
  end
  if step < 0 then
    return clamp(start, upper), clamp(stop, lower)
  end
  return clamp(start, lower), clamp(stop, upper)
end

-- 0-based positions selected by a slice, in slice order
local function slice_positions(len, start, stop, step)
  local s, e = slice_indices(len, start, stop, step)
  local out = {}
  if step > 0 then
    local i = s
    while i < e do out[#out + 1] = i; i = i + step end
  else
    local i = s
    while i > e do out[#out + 1] = i; i = i + step end
  end
  return out
end
