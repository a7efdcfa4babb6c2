-- Applies status ARGV[3] (event hash ARGV[2]) to the person whose fields
-- start with ARGV[1]: to programme ARGV[4], or to every programme when it
-- is ''. ARGV[5] is the new wallet key of a wallet change, ARGV[6] the
-- event's unix time.
local k, pre = KEYS[1], ARGV[1]
local eid, st, prog, wallet, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local function fields(prefix)
  local out = {}
  prefix = pre .. prefix
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.sub(f, 1, #prefix) == prefix then table.insert(out, string.sub(f, #prefix + 1)) end
  end
  return out
end
local function progs(prefix)
  if prog ~= '' then return {prog} end
  return fields(prefix)
end
if st == 'deceased' then
  redis.call('HSET', k, pre .. F_DEAD, eid)
elseif st == 'exited' then
  for _, p in ipairs(progs(F_ENROL)) do
    local e = redis.call('HGET', k, pre .. F_ENROL .. p)
    if e then
      redis.call('HSET', k, pre .. F_EXITED .. p, e)
      redis.call('HDEL', k, pre .. F_ENROL .. p, pre .. F_HELD .. p)
    end
  end
elseif st == 'suspended' then
  redis.call('HSET', k, pre .. F_SUSPENDED .. (prog ~= '' and prog or ALL_PROGRAMMES), FLAG_SET)
elseif st == 'reinstated' then
  if prog == '' then redis.call('HDEL', k, pre .. F_DEAD, pre .. F_SUSPENDED .. ALL_PROGRAMMES) end
  for _, p in ipairs(progs(F_EXITED)) do
    local x = redis.call('HGET', k, pre .. F_EXITED .. p)
    if x and redis.call('HEXISTS', k, pre .. F_ENROL .. p) == 0 then
      redis.call('HSET', k, pre .. F_ENROL .. p, x)
    end
    redis.call('HDEL', k, pre .. F_EXITED .. p)
  end
  for _, p in ipairs(progs(F_SUSPENDED)) do redis.call('HDEL', k, pre .. F_SUSPENDED .. p) end
elseif st == 'wallet_changed' then
  -- The new wallet replaces the enrolled one, in an exited enrolment too,
  -- so that reinstatement restores the wallet last known.
  for _, f in ipairs({F_ENROL, F_EXITED}) do
    for _, p in ipairs(progs(f)) do
      local v = redis.call('HGET', k, pre .. f .. p)
      if v then redis.call('HSET', k, pre .. f .. p, string.sub(v, 1, EVENT_HASH_LEN) .. wallet) end
    end
  end
  redis.call('HSET', k, pre .. F_WALLET_AT, now)
end
return {'ADMIT', '', '', ''}
