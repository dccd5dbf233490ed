-- Add items to a queue, atomically.
-- KEYS[1]: the queue (a list, or a sorted set for priority queues);
-- KEYS[2]: the unfinished-tasks counter when ARGV[2] == '1';
-- then the aux key: the member set of a set queue ('set'), or the sequence counter ('zset'),
-- and for 'zset' last the wake-up signal list (one element while the queue is not empty).
-- ARGV: kind ('list' | 'set' | 'zset'), counted ('1' | '0'), maxsize (0: unbounded; only used
--       for single-item puts), only_new ('1': write only if KEYS[1] does not exist: `initial`),
--       items... (for 'zset': score, value pairs).
-- Returns the number of items added (0 for a set-queue member already queued), or -1 when the
-- queue is full (nothing written).
local key, kind = KEYS[1], ARGV[1]
local counted = ARGV[2] == '1'
local maxsize = tonumber(ARGV[3])
local only_new = ARGV[4] == '1'
local aux = KEYS[2]
if counted then aux = KEYS[3] end
local want = 'list'
if kind == 'zset' then want = 'zset' end
local t = redis.call('TYPE', key)['ok']
if t ~= 'none' then
  if t ~= want then
    return redis.error_reply('VM WRONGTYPE key holds a ' .. t .. ', not a ' .. want)
  end
  if only_new then return 0 end
end
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
  for i = 5, #ARGV, 2 do
    if maxsize > 0 and len >= maxsize then return -1 end
    local seq = redis.call('INCR', aux)
    -- fixed-width sequence prefix: equal scores pop in insertion order, equal values all kept
    redis.call('ZADD', key, ARGV[i], string.format('%016x', seq) .. ARGV[i + 1])
    len = len + 1
    added = added + 1
  end
end
if counted and added > 0 then redis.call('INCRBY', KEYS[2], added) end
if kind == 'zset' and added > 0 then
  local sig = KEYS[#KEYS]
  if redis.call('LLEN', sig) == 0 then redis.call('RPUSH', sig, '1') end
end
return added
