package redisindex

import "github.com/redis/go-redis/v9"

// The exact rules run as Lua scripts so that each check and its claim are
// one atomic step: two workers that see one NID at the same moment cannot
// both pass the check. Every script touches a single key, the person's hash,
// so the scripts run unchanged on Redis Cluster.
//
// The person hash holds, per programme p:
//
//	e:p   the claiming enrolment (short event hash), present while enrolled
//	h:p   present while that enrolment is held for review
//	x:p   the enrolment that exited p (kept so reinstatement can restore it)
//	s:p   "suspended" while suspended; s:* suspends every programme
//	w:p   the enrolled wallet (keyed hash)
//	p:p:c the payment admitted or held for cycle c (short event hash)
//
// and for the person: dead (the death event), wc (unix time of the last
// wallet change). A script returns {action, rule, detail, alert}.

var enrolScript = redis.NewScript(`
local k = KEYS[1]
local eid, prog, wallet = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HGET', k, 'e:' .. prog)
if cur and cur ~= eid then
  return {'BLOCK', 'DUP_NID', prog, ''}
end
if not cur then
  for i = 4, #ARGV do
    if redis.call('HEXISTS', k, 'e:' .. ARGV[i]) == 1 then
      return {'BLOCK', 'MULTI_PROGRAMME', ARGV[i], ''}
    end
  end
  redis.call('HSET', k, 'e:' .. prog, eid)
  redis.call('HDEL', k, 'x:' .. prog, 's:' .. prog)
  if wallet ~= '' then redis.call('HSET', k, 'w:' .. prog, wallet) end
  if redis.call('HEXISTS', k, 'dead') == 1 then
    redis.call('HSET', k, 'h:' .. prog, '1')
  end
end
if redis.call('HEXISTS', k, 'dead') == 1 then
  return {'HOLD', 'DECEASED_OR_EXITED', 'deceased', ''}
end
return {'ADMIT', '', '', ''}
`)

var payScript = redis.NewScript(`
local k = KEYS[1]
local eid, prog, cycle, wallet = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, recent = tonumber(ARGV[5]), tonumber(ARGV[6])
local pk = 'p:' .. prog .. ':' .. cycle
local paid = redis.call('HGET', k, pk)
if paid and paid ~= eid then
  return {'BLOCK', 'DOUBLE_PAYMENT', cycle, ''}
end
if redis.call('HEXISTS', k, 'dead') == 1 then
  return {'BLOCK', 'DECEASED_OR_EXITED', 'deceased', ''}
end
local st = redis.call('HGET', k, 's:' .. prog) or redis.call('HGET', k, 's:*')
if st then
  return {'BLOCK', 'DECEASED_OR_EXITED', st, ''}
end
if not redis.call('HGET', k, 'e:' .. prog) then
  if redis.call('HEXISTS', k, 'x:' .. prog) == 1 then
    return {'BLOCK', 'DECEASED_OR_EXITED', 'exited', ''}
  end
  return {'BLOCK', 'UNKNOWN_PAYEE', 'not enrolled', ''}
end
if redis.call('HEXISTS', k, 'h:' .. prog) == 1 then
  return {'BLOCK', 'UNKNOWN_PAYEE', 'enrolment held for review', ''}
end
redis.call('HSET', k, pk, eid)
local action, rule, detail, alert = 'ADMIT', '', '', ''
local w = redis.call('HGET', k, 'w:' .. prog)
if wallet ~= '' and w and w ~= wallet then
  action, rule, detail = 'HOLD', 'WALLET_MISMATCH', 'paid to a wallet other than the enrolled one'
end
local wc = tonumber(redis.call('HGET', k, 'wc') or '')
if wc and now >= wc and now - wc < recent then
  alert = 'RECENT_WALLET_CHANGE'
end
return {action, rule, detail, alert}
`)

var statusScript = redis.NewScript(`
local k = KEYS[1]
local eid, st, prog, wallet, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local function fields(prefix)
  local out = {}
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
  redis.call('HSET', k, 'dead', eid)
elseif st == 'exited' then
  for _, p in ipairs(progs('e:')) do
    local e = redis.call('HGET', k, 'e:' .. p)
    if e then
      redis.call('HSET', k, 'x:' .. p, e)
      redis.call('HDEL', k, 'e:' .. p, 'h:' .. p)
    end
  end
elseif st == 'suspended' then
  redis.call('HSET', k, 's:' .. (prog ~= '' and prog or '*'), 'suspended')
elseif st == 'reinstated' then
  if prog == '' then redis.call('HDEL', k, 'dead', 's:*') end
  for _, p in ipairs(progs('x:')) do
    local x = redis.call('HGET', k, 'x:' .. p)
    if x and redis.call('HEXISTS', k, 'e:' .. p) == 0 then
      redis.call('HSET', k, 'e:' .. p, x)
    end
    redis.call('HDEL', k, 'x:' .. p)
  end
  for _, p in ipairs(progs('s:')) do redis.call('HDEL', k, 's:' .. p) end
elseif st == 'wallet_changed' then
  for _, p in ipairs(progs('e:')) do redis.call('HSET', k, 'w:' .. p, wallet) end
  redis.call('HSET', k, 'wc', now)
end
return {'ADMIT', '', '', ''}
`)
