-- Applies a status event's transition (domain.Transitions) to the person
-- whose fields start with ARGV[1]. ARGV[2] is the event's hash, ARGV[3]
-- its programme ('' for all the person's claims), ARGV[4] its wallet key,
-- ARGV[5] its unix time, ARGV[6] its time in Unix microseconds. ARGV[7] is
-- the state the claims acted on move to ('' to stay); ARGV[8] to ARGV[11]
-- are FLAG_SET or '': the claims take the wallet, the person is marked
-- deceased, the mark is lifted, the person's wallet changed. ARGV[12] on
-- are the states acted on.
--
-- Status events take effect in the order they occurred: the event acts on
-- no claim on a programme that a status event occurred after it named
-- (F_STATUS_AT of the programme, or of all), and does not mark the person
-- dead or alive if one that did so occurred after it (F_LIFE_AT). Those
-- fields keep the latest time seen, whether or not the event changed
-- anything, as the record keeps every status event.
local k, pre = KEYS[1], ARGV[1]
local eid, prog, wallet, now, at, to = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local takesWallet, setsDead, clearsDead, walletChanged =
  ARGV[8] == FLAG_SET, ARGV[9] == FLAG_SET, ARGV[10] == FLAG_SET, ARGV[11] == FLAG_SET
local from = {}
for i = 12, #ARGV do from[ARGV[i]] = true end
local atN = tonumber(at)

-- newer reports whether field f holds a time after this event's.
local function newer(f)
  local t = tonumber(redis.call('HGET', k, f) or '')
  return t ~= nil and t > atN
end

-- A claim's state is in which of its fields are present: the enrolment
-- alone (active), with a hold (held) or a suspension (suspended), or the
-- exited enrolment instead (exited).
local function state(p)
  local e = redis.call('HGET', k, pre .. F_ENROL .. p)
  if e then
    if redis.call('HEXISTS', k, pre .. F_HELD .. p) == 1 then return S_HELD, e end
    if redis.call('HEXISTS', k, pre .. F_SUSPENDED .. p) == 1 then return S_SUSPENDED, e end
    return S_ACTIVE, e
  end
  local x = redis.call('HGET', k, pre .. F_EXITED .. p)
  if x then return S_EXITED, x end
  return nil, nil
end

-- put writes claim v on programme p in state st.
local function put(p, st, v)
  local e, h, s, x = pre .. F_ENROL .. p, pre .. F_HELD .. p, pre .. F_SUSPENDED .. p, pre .. F_EXITED .. p
  if st == S_EXITED then
    redis.call('HSET', k, x, v)
    redis.call('HDEL', k, e, h, s)
    return
  end
  redis.call('HSET', k, e, v)
  redis.call('HDEL', k, x)
  if st == S_HELD then redis.call('HSET', k, h, FLAG_SET) else redis.call('HDEL', k, h) end
  if st == S_SUSPENDED then redis.call('HSET', k, s, FLAG_SET) else redis.call('HDEL', k, s) end
end

local progs = {prog}
if prog == '' then
  progs = {}
  for _, f in ipairs(redis.call('HKEYS', k)) do
    for _, family in ipairs({F_ENROL, F_EXITED}) do
      local p = pre .. family
      if string.sub(f, 1, #p) == p then table.insert(progs, string.sub(f, #p + 1)) end
    end
  end
end
local allNewer = newer(pre .. F_STATUS_AT)
for _, p in ipairs(progs) do
  local st, v = state(p)
  if st and from[st] and not allNewer and not newer(pre .. F_STATUS_AT .. p) then
    if takesWallet then v = string.sub(v, 1, EVENT_HASH_LEN) .. wallet end
    if to == '' then put(p, st, v) else put(p, to, v) end
  end
end
if not newer(pre .. F_STATUS_AT .. prog) then redis.call('HSET', k, pre .. F_STATUS_AT .. prog, at) end
if (setsDead or clearsDead) and not newer(pre .. F_LIFE_AT) then
  if setsDead then redis.call('HSET', k, pre .. F_DEAD, eid) end
  if clearsDead then redis.call('HDEL', k, pre .. F_DEAD) end
  redis.call('HSET', k, pre .. F_LIFE_AT, at)
end
if walletChanged then
  local wc = tonumber(redis.call('HGET', k, pre .. F_WALLET_AT) or '')
  if wc == nil or tonumber(now) > wc then redis.call('HSET', k, pre .. F_WALLET_AT, now) end
end
return {'ADMIT', '', '', ''}
