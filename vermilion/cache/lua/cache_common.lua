-- Shared by the cache scripts.  A namespace's keys share one hash tag (one slot):
--   <P>:seq          the invalidation sequence (a number; initialised from the server clock in
--                    microseconds, so it keeps growing even if the key is lost or evicted)
--   <P>:t:<tag>      the sequence number of the tag's last invalidation (a "record")
--   <P>:e:<key>      an entry: 'VMC1 <seq0> <flag> <dep>\31<dep>...\n<payload>', where seq0 is the
--                    sequence read when the filler's lease was taken, flag 'v' (a value) or 'n'
--                    (a cached "not found")
--   <P>:l:<key>      the lease of the caller computing the entry (its token, with a TTL)
--   <P>:stats        counters (hash)
-- An entry is fresh when every dep's record exists and is not newer than seq0: a record that
-- vanished (evicted) makes its entries misses, never stale hits.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function current_seq(seq_key)
  local s = redis.call('GET', seq_key)
  if not s then
    local t = redis.call('TIME')
    s = string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
    redis.call('SET', seq_key, s)
  end
  return s
end

local function each_dep(deps)
  return string.gmatch(deps, '[^\31]+')
end
