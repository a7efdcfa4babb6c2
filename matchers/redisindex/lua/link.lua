-- Claims field ARGV[1] of bucket KEYS[1] for value ARGV[2]: an identity
-- number's link to the packed key of its person, or a person's core NID.
-- The field becomes ARGV[2] if it is free, or if it is ARGV[3] (when
-- given): an event that lost a race for its strongest number moves the
-- links it had just made to the winner's person. Returns '' when the
-- field is ARGV[2], else what it is, which it stays.
local k, f, v, was = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HGET', k, f)
if not cur or (was and was ~= '' and cur == was) then
  redis.call('HSET', k, f, v)
  return ''
end
if cur == v then return '=' end
return cur
