-- Adds the person with packed key ARGV[1] to field ARGV[2 + i] of bucket
-- KEYS[i], for each i, unless the block already holds ARGV[2] (the block
-- cap) others; returns, per block, how many others it holds and their
-- packed keys (a generic block's too: the matcher ranks its members low
-- rather than dropping them). See blockScript.
local id, cap = ARGV[1], tonumber(ARGV[2])
local function add(k, f)
  local v = redis.call('HGET', k, f) or ''
  local n = #v / PACKED_LEN
  local from = 1
  while true do
    local at = string.find(v, id, from, true)
    if not at then break end
    if (at - 1) % PACKED_LEN == 0 then
      return n - 1, v
    end
    from = at + 1
  end
  if n >= cap then return n, v end
  redis.call('HSET', k, f, v .. id)
  return n, v
end
local out = {}
for i, k in ipairs(KEYS) do
  local n, m = add(k, ARGV[2 + i])
  out[#out + 1] = n
  out[#out + 1] = m
end
return out
