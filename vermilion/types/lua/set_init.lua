-- Write the initial members only if the key does not exist.  KEYS[1]; ARGV: members.
--!include set_common
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'set' then return 0 end
if t ~= 'none' then
  return redis.error_reply('VM WRONGTYPE key ' .. KEYS[1] .. ' holds a ' .. t .. ', not a set')
end
set_cmd_all('SADD', KEYS[1], ARGV, 1, #ARGV)
return 1
