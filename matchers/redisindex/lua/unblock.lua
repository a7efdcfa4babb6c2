-- Takes the person with packed key ARGV[1] out of field ARGV[1 + i] of
-- bucket KEYS[i], for each i: the undoing of block.lua. A field left
-- empty is deleted. Returns how many blocks held the person.
local id, n = ARGV[1], 0
for i, k in ipairs(KEYS) do
  local f = ARGV[1 + i]
  local v = redis.call('HGET', k, f)
  if v then
    local from = 1
    while true do
      local at = string.find(v, id, from, true)
      if not at then break end
      if (at - 1) % PACKED_LEN == 0 then
        v = string.sub(v, 1, at - 1) .. string.sub(v, at + PACKED_LEN)
        if v == '' then redis.call('HDEL', k, f) else redis.call('HSET', k, f, v) end
        n = n + 1
        break
      end
      from = at + 1
    end
  end
end
return n
