-- Add items to a queue, atomically.
-- KEYS: [1] the queue (a list, or a sorted set for priority queues), [2] the unfinished-tasks
--   counter (when counted), [3] the member set of a set queue, or the sequence counter of a
--   priority queue, [4] the signal list (wake-up and shutdown state: every queue but
--   SimpleQueue), [5] the stored maxsize.  Unused slots repeat KEYS[1].
-- ARGV: kind ('list' | 'set' | 'zset'), counted ('1' | '0'), maxsize proposed by the caller
--   (stored if none is: the first positive one wins; 0: unbounded), only_new ('1': write only if
--   KEYS[1] does not exist and the queue is not shut down: `initial`, maxsize not applied), then
--   the items: for 'list' / 'set' the encoded values; for 'zset' per item: order key, payload,
--   n, then n pairs lo, hi of the lexicographic ranges holding items it cannot be compared with.
-- Returns the number of items added (0 for a set-queue member already queued), -1 when the
-- queue is full, {-2, member} when an item cannot be ordered against the stored `member`, or -3
-- when the queue is shut down (nothing written in these cases).
--!include queue_common
local key, kind = KEYS[1], ARGV[1]
local counted = ARGV[2] == '1'
local only_new = ARGV[4] == '1'
local aux, sig = KEYS[3], KEYS[4]
local err = queue_wrong_type(key, kind)
if err then return redis.error_reply(err) end
if only_new and redis.call('EXISTS', key) == 1 then return 0 end
if queue_shut(sig, key) then
  if only_new then return 0 end
  return -3
end
local maxsize = tonumber(redis.call('GET', KEYS[5]) or '')
if maxsize == nil then
  maxsize = tonumber(ARGV[3])
  if maxsize > 0 then redis.call('SET', KEYS[5], maxsize) end
end
if only_new then maxsize = 0 end
local len
if kind == 'zset' then len = redis.call('ZCARD', key) else len = redis.call('LLEN', key) end
local added = 0
if kind == 'list' then
  local n = #ARGV - 4
  if maxsize > 0 and len + n > maxsize then return -1 end
  local i = 5
  while i <= #ARGV do
    local j = math.min(i + 999, #ARGV)
    redis.call('RPUSH', key, unpack(ARGV, i, j))
    i = j + 1
  end
  added = n
elseif kind == 'set' then
  for i = 5, #ARGV do
    if redis.call('SISMEMBER', aux, ARGV[i]) == 0 then
      if maxsize > 0 and len >= maxsize then return -1 end
      redis.call('SADD', aux, ARGV[i])
      redis.call('RPUSH', key, ARGV[i])
      len = len + 1
      added = added + 1
    end
  end
else
  local members = {}
  local i = 5
  while i <= #ARGV do
    local nr = tonumber(ARGV[i + 2])
    local refuse
    if maxsize > 0 and len >= maxsize then refuse = -1 end
    for j = i + 3, i + 2 + 2 * nr, 2 do
      if refuse then break end
      local hit = redis.call('ZRANGEBYLEX', key, '[' .. ARGV[j], '(' .. ARGV[j + 1], 'LIMIT', 0, 1)
      if #hit > 0 then refuse = {-2, hit[1]} end
    end
    if refuse then  -- undo this call's earlier items: all or nothing
      for k = 1, #members, 1000 do
        redis.call('ZREM', key, unpack(members, k, math.min(k + 999, #members)))
      end
      return refuse
    end
    -- order key, then a fixed-width sequence (equal keys pop in insertion order, equal items are
    -- all kept), the payload, and the order key's length (8 digits) to find the payload again
    local seq = redis.call('INCR', aux)
    local member = ARGV[i] .. string.format('%016x', seq) .. ARGV[i + 1] ..
      string.format('%08d', #ARGV[i])
    redis.call('ZADD', key, 0, member)
    members[#members + 1] = member
    len = len + 1
    added = added + 1
    i = i + 3 + 2 * nr
  end
end
if counted and added > 0 then redis.call('INCRBY', KEYS[2], added) end
if added > 0 then queue_signal(sig, key) end
return added
