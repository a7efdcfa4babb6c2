-- Makes the enrolment with event hash ARGV[2] and wallet key ARGV[4] the
-- claim on programme ARGV[3] of the person whose fields start with
-- ARGV[1], active: neither held, suspended nor exited.
local k, pre = KEYS[1], ARGV[1]
local eid, prog, wallet = ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', k, pre .. F_ENROL .. prog, eid .. wallet)
redis.call('HDEL', k, pre .. F_HELD .. prog, pre .. F_SUSPENDED .. prog, pre .. F_EXITED .. prog)
return 1
