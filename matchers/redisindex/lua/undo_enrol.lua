-- Undoes the claim on programme ARGV[3] that the enrolment with event hash
-- ARGV[2] made for the person whose fields start with ARGV[1] (bucket
-- KEYS[1]), and puts back the exited claim it replaced, noted in field
-- ARGV[4] of KEYS[2] (see note.lua). Returns:
--   'none'   the claim is not the enrolment's (it made none, or lost it);
--   'acted'  the claim was the enrolment's but a status event has since
--            acted on it (exited or suspended it): not undone;
--   'undone' undone; the person holds other claims;
--   'alone'  undone, and the person holds no other claim: its candidate
--            record is gone too, and the caller takes it out of its blocks.
local k, notes, pre, eid, prog = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]
local nf = ARGV[4]
local note = redis.call('HGET', notes, nf)
local function mine(v) return v and string.sub(v, 1, EVENT_HASH_LEN) == eid end
local e, x = pre .. F_ENROL .. prog, pre .. F_EXITED .. prog
local s = pre .. F_SUSPENDED .. prog
local cur = redis.call('HGET', k, e)
if not mine(cur) then
  if mine(redis.call('HGET', k, x)) then return 'acted' end
  redis.call('HDEL', notes, nf)
  return 'none'
end
if redis.call('HEXISTS', k, s) == 1 then return 'acted' end
redis.call('HDEL', notes, nf)
redis.call('HDEL', k, e, pre .. F_HELD .. prog)
if note then redis.call('HSET', k, x, note) end
for _, f in ipairs(redis.call('HKEYS', k)) do
  for _, family in ipairs({F_ENROL, F_EXITED}) do
    local p = pre .. family
    if string.sub(f, 1, #p) == p then return 'undone' end
  end
end
redis.call('HDEL', k, pre .. F_RECORD)
return 'alone'
