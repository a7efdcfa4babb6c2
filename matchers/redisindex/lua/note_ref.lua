-- Notes, before an enrolment claims beneficiary ref field ARGV[1] of
-- bucket KEYS[1], that nobody holds it: in the notes bucket KEYS[2] (same
-- hash tag), as field ARGV[2], for ARGV[3] ms. Release frees the ref again
-- if the record refuses the enrolment. The first note of an event stands.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSETNX', KEYS[2], ARGV[2], FLAG_SET)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
