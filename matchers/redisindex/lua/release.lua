-- Lifts the hold on programme ARGV[3] of the person whose fields start
-- with ARGV[1], if its claim is still the enrolment with event hash
-- ARGV[2]. Returns 1 if it did.
local k, pre = KEYS[1], ARGV[1]
local eid, prog = ARGV[2], ARGV[3]
local cur = redis.call('HGET', k, pre .. F_ENROL .. prog)
if cur and string.sub(cur, 1, EVENT_HASH_LEN) == eid then
  redis.call('HDEL', k, pre .. F_HELD .. prog)
  return 1
end
return 0
