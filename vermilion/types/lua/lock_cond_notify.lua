-- Condition.notify(n): move the first n waiters (all if n < 0) out of the waiters list and
-- announce their tokens in one stream entry.  KEYS[1] waiters, KEYS[2] stream; ARGV[1] n.
-- Returns the number of waiters notified.
--!include lock_common
local err = wrong_type(KEYS[1], 'list', 'condition') or wrong_type(KEYS[2], 'stream', 'condition')
if err then return redis.error_reply(err) end
local n = tonumber(ARGV[1])
local len = redis.call('LLEN', KEYS[1])
if n < 0 or n > len then n = len end
if n == 0 then return 0 end
local tokens = {}
local left = n
while left > 0 do
  local chunk = redis.call('LPOP', KEYS[1], math.min(left, 1000))
  for _, t in ipairs(chunk) do tokens[#tokens + 1] = t end
  left = left - #chunk
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 1000, '*', 'w', table.concat(tokens, ' '))
return n
