-- Claims beneficiary ref field ARGV[1] of bucket KEYS[1] for the person
-- with packed key ARGV[2]: the ref becomes the person's if nobody holds
-- it. Returns '' when the ref is the person's, else the packed key of the
-- person who holds it, which it stays.
local k, f, id = KEYS[1], ARGV[1], ARGV[2]
local cur = redis.call('HGET', k, f)
if not cur then
  redis.call('HSET', k, f, id)
  return ''
end
if cur == id then return '' end
return cur
