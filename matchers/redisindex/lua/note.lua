-- Notes, before the enrolment with event hash ARGV[2] claims programme
-- ARGV[3] of the person whose fields start with ARGV[1] (bucket KEYS[1]),
-- the exited claim its claim will replace, if any: in the notes bucket
-- KEYS[2] (same hash tag), as field ARGV[4], for ARGV[5] ms. Release puts
-- it back if the record refuses the enrolment. The first note of an event
-- stands: an event decided again finds its own claim instead.
local k, notes, pre, eid, prog = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', k, pre .. F_ENROL .. prog) == 1 then return 0 end
local x = redis.call('HGET', k, pre .. F_EXITED .. prog)
if not x or string.sub(x, 1, EVENT_HASH_LEN) == eid then return 0 end
redis.call('HSETNX', notes, ARGV[4], x)
redis.call('PEXPIRE', notes, ARGV[5])
return 1
