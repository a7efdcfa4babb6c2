-- Claims cycle ARGV[4] of programme ARGV[3] for the payment with event hash
-- ARGV[2] to wallet key ARGV[5], if the person (fields starting with
-- ARGV[1]) may be paid: alive, not suspended, enrolled and not held. A
-- retried payment finds its own claim. ARGV[6] is the payment's unix time,
-- ARGV[7] the RECENT_WALLET_CHANGE window in seconds.
local k, pre = KEYS[1], ARGV[1]
local eid, prog, cycle, wallet = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, recent = tonumber(ARGV[6]), tonumber(ARGV[7])
local pk = pre .. F_PAID .. prog .. CYCLE_SEP .. cycle
local paid = redis.call('HGET', k, pk)
if paid and paid ~= eid then
  return {'BLOCK', 'DOUBLE_PAYMENT', cycle, ''}
end
if redis.call('HEXISTS', k, pre .. F_DEAD) == 1 then
  return {'BLOCK', 'DECEASED_OR_EXITED', DECEASED, ''}
end
if redis.call('HEXISTS', k, pre .. F_SUSPENDED .. prog) == 1 then
  return {'BLOCK', 'DECEASED_OR_EXITED', S_SUSPENDED, ''}
end
local enr = redis.call('HGET', k, pre .. F_ENROL .. prog)
if not enr then
  if redis.call('HEXISTS', k, pre .. F_EXITED .. prog) == 1 then
    return {'BLOCK', 'DECEASED_OR_EXITED', S_EXITED, ''}
  end
  return {'BLOCK', 'UNKNOWN_PAYEE', 'not enrolled', ''}
end
if redis.call('HEXISTS', k, pre .. F_HELD .. prog) == 1 then
  return {'BLOCK', 'UNKNOWN_PAYEE', 'enrolment held for review', ''}
end
redis.call('HSET', k, pk, eid)
local action, rule, detail, alert = 'ADMIT', '', '', ''
local w = string.sub(enr, EVENT_HASH_LEN + 1)
if wallet ~= '' and w ~= '' and w ~= wallet then
  action, rule, detail = 'HOLD', 'WALLET_MISMATCH', 'paid to a wallet other than the enrolled one'
end
local wc = tonumber(redis.call('HGET', k, pre .. F_WALLET_AT) or '')
if wc and now >= wc and now - wc < recent then
  alert = 'RECENT_WALLET_CHANGE'
end
return {action, rule, detail, alert}
