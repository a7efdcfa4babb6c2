-- Claims programme ARGV[3] for the person whose fields start with ARGV[1],
-- by the enrolment with event hash ARGV[2] and wallet key ARGV[4], unless
-- the person already holds it (DUP_NID) or a programme it excludes
-- (ARGV[7] on: MULTI_PROGRAMME). A retried enrolment finds its own claim.
-- The claim is held for review if the person is dead, or if ARGV[6] is
-- FLAG_SET (another person holds the enrolment's beneficiary ref).
-- It stores the candidate record ARGV[5], if any, after the event hash of
-- the enrolment that first stored one for the person, and says, fifth, if
-- that enrolment is this one.
local k, pre = KEYS[1], ARGV[1]
local eid, prog, wallet, rec, hold = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == FLAG_SET
local cur = redis.call('HGET', k, pre .. F_ENROL .. prog)
if cur and string.sub(cur, 1, EVENT_HASH_LEN) ~= eid then
  return {'BLOCK', 'DUP_NID', prog, ''}
end
if not cur then
  for i = 7, #ARGV do
    if redis.call('HEXISTS', k, pre .. F_ENROL .. ARGV[i]) == 1 then
      return {'BLOCK', 'MULTI_PROGRAMME', ARGV[i], ''}
    end
  end
  redis.call('HSET', k, pre .. F_ENROL .. prog, eid .. wallet)
  redis.call('HDEL', k, pre .. F_EXITED .. prog, pre .. F_SUSPENDED .. prog)
  if hold or redis.call('HEXISTS', k, pre .. F_DEAD) == 1 then
    redis.call('HSET', k, pre .. F_HELD .. prog, FLAG_SET)
  end
end
local first = ''
if rec ~= '' then
  local owner = string.sub(redis.call('HGET', k, pre .. F_RECORD) or eid, 1, EVENT_HASH_LEN)
  redis.call('HSET', k, pre .. F_RECORD, owner .. rec)
  if owner == eid then first = FLAG_SET end
end
if redis.call('HEXISTS', k, pre .. F_DEAD) == 1 then
  return {'HOLD', 'DECEASED_OR_EXITED', DECEASED, '', first}
end
return {'ADMIT', '', '', '', first}
