-- Frees beneficiary ref field ARGV[1] of bucket KEYS[1] if the enrolment
-- whose note (field ARGV[3] of KEYS[2]) says it found the ref free claimed
-- it for the person with packed key ARGV[2], who still holds it. Returns 1
-- if it did.
if not redis.call('HGET', KEYS[2], ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[2], ARGV[3])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
