-- Holds for review the claim on programme ARGV[3] of the person whose
-- fields start with ARGV[1], if it is still the enrolment with event hash
-- ARGV[2]. The fuzzy rules decide such a hold after the batch's claims
-- were made, and later events of the batch may have moved the claim
-- since; no status event moves a held claim but to give it a new wallet,
-- so holding it now, with the wallet it has, leaves it as if it had been
-- held from the start. Returns 1 if it did.
local k, pre = KEYS[1], ARGV[1]
local eid, prog = ARGV[2], ARGV[3]
local e, x = pre .. F_ENROL .. prog, pre .. F_EXITED .. prog
local v = redis.call('HGET', k, e) or redis.call('HGET', k, x)
if not v or string.sub(v, 1, EVENT_HASH_LEN) ~= eid then return 0 end
redis.call('HSET', k, e, v, pre .. F_HELD .. prog, FLAG_SET)
redis.call('HDEL', k, x, pre .. F_SUSPENDED .. prog)
return 1
