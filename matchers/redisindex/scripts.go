package redisindex

import "github.com/redis/go-redis/v9"

// The exact rules run as Lua scripts so that each check and its claim are
// one atomic step: two workers that see one NID at the same moment cannot
// both pass the check. Every script touches a single key, the bucket of the
// person's fields, so the scripts run unchanged on Redis Cluster.
//
// A person's fields live in a bucket hash shared with other persons (see
// layout.go); each field starts with the person's prefix, ARGV[1] of every
// script. Per programme p the person has:
//
//	e:p   the claiming enrolment, present while enrolled: its event hash
//	      (8 bytes) followed by the enrolled wallet's keyed hash, if any
//	h:p   present while that enrolment is held for review
//	x:p   the e:p of the enrolment that exited p (kept so reinstatement
//	      can restore it)
//	s:p   "suspended" while suspended; s:* suspends every programme
//	p:p:c the payment admitted or held for cycle c (its event hash)
//
// and for the person: dead (the death event), wc (unix time of the last
// wallet change), c (the candidate record, written by an enrolment that is
// not blocked). A script returns {action, rule, detail, alert}.

var enrolScript = redis.NewScript(`
local k, pre = KEYS[1], ARGV[1]
local eid, prog, wallet, rec = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', k, pre .. 'e:' .. prog)
if cur and string.sub(cur, 1, 8) ~= eid then
  return {'BLOCK', 'DUP_NID', prog, ''}
end
if not cur then
  for i = 6, #ARGV do
    if redis.call('HEXISTS', k, pre .. 'e:' .. ARGV[i]) == 1 then
      return {'BLOCK', 'MULTI_PROGRAMME', ARGV[i], ''}
    end
  end
  redis.call('HSET', k, pre .. 'e:' .. prog, eid .. wallet)
  redis.call('HDEL', k, pre .. 'x:' .. prog, pre .. 's:' .. prog)
  if redis.call('HEXISTS', k, pre .. 'dead') == 1 then
    redis.call('HSET', k, pre .. 'h:' .. prog, '1')
  end
end
if rec ~= '' then redis.call('HSET', k, pre .. 'c', rec) end
if redis.call('HEXISTS', k, pre .. 'dead') == 1 then
  return {'HOLD', 'DECEASED_OR_EXITED', 'deceased', ''}
end
return {'ADMIT', '', '', ''}
`)

var payScript = redis.NewScript(`
local k, pre = KEYS[1], ARGV[1]
local eid, prog, cycle, wallet = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, recent = tonumber(ARGV[6]), tonumber(ARGV[7])
local pk = pre .. 'p:' .. prog .. ':' .. cycle
local paid = redis.call('HGET', k, pk)
if paid and paid ~= eid then
  return {'BLOCK', 'DOUBLE_PAYMENT', cycle, ''}
end
if redis.call('HEXISTS', k, pre .. 'dead') == 1 then
  return {'BLOCK', 'DECEASED_OR_EXITED', 'deceased', ''}
end
local st = redis.call('HGET', k, pre .. 's:' .. prog) or redis.call('HGET', k, pre .. 's:*')
if st then
  return {'BLOCK', 'DECEASED_OR_EXITED', st, ''}
end
local enr = redis.call('HGET', k, pre .. 'e:' .. prog)
if not enr then
  if redis.call('HEXISTS', k, pre .. 'x:' .. prog) == 1 then
    return {'BLOCK', 'DECEASED_OR_EXITED', 'exited', ''}
  end
  return {'BLOCK', 'UNKNOWN_PAYEE', 'not enrolled', ''}
end
if redis.call('HEXISTS', k, pre .. 'h:' .. prog) == 1 then
  return {'BLOCK', 'UNKNOWN_PAYEE', 'enrolment held for review', ''}
end
redis.call('HSET', k, pk, eid)
local action, rule, detail, alert = 'ADMIT', '', '', ''
local w = string.sub(enr, 9)
if wallet ~= '' and w ~= '' and w ~= wallet then
  action, rule, detail = 'HOLD', 'WALLET_MISMATCH', 'paid to a wallet other than the enrolled one'
end
local wc = tonumber(redis.call('HGET', k, pre .. 'wc') or '')
if wc and now >= wc and now - wc < recent then
  alert = 'RECENT_WALLET_CHANGE'
end
return {action, rule, detail, alert}
`)

var statusScript = redis.NewScript(`
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
  redis.call('HSET', k, pre .. 'dead', eid)
elseif st == 'exited' then
  for _, p in ipairs(progs('e:')) do
    local e = redis.call('HGET', k, pre .. 'e:' .. p)
    if e then
      redis.call('HSET', k, pre .. 'x:' .. p, e)
      redis.call('HDEL', k, pre .. 'e:' .. p, pre .. 'h:' .. p)
    end
  end
elseif st == 'suspended' then
  redis.call('HSET', k, pre .. 's:' .. (prog ~= '' and prog or '*'), 'suspended')
elseif st == 'reinstated' then
  if prog == '' then redis.call('HDEL', k, pre .. 'dead', pre .. 's:*') end
  for _, p in ipairs(progs('x:')) do
    local x = redis.call('HGET', k, pre .. 'x:' .. p)
    if x and redis.call('HEXISTS', k, pre .. 'e:' .. p) == 0 then
      redis.call('HSET', k, pre .. 'e:' .. p, x)
    end
    redis.call('HDEL', k, pre .. 'x:' .. p)
  end
  for _, p in ipairs(progs('s:')) do redis.call('HDEL', k, pre .. 's:' .. p) end
elseif st == 'wallet_changed' then
  -- The new wallet replaces the enrolled one, in an exited enrolment too,
  -- so that reinstatement restores the wallet last known.
  for _, f in ipairs({'e:', 'x:'}) do
    for _, p in ipairs(progs(f)) do
      local v = redis.call('HGET', k, pre .. f .. p)
      if v then redis.call('HSET', k, pre .. f .. p, string.sub(v, 1, 8) .. wallet) end
    end
  end
  redis.call('HSET', k, pre .. 'wc', now)
end
return {'ADMIT', '', '', ''}
`)

// blockScript adds a person (ARGV[1], a packed index key of packedLen
// bytes) to blocking keys: field ARGV[2+i] of the bucket KEYS[i]. For
// each it returns how many other persons share the block and, unless the
// block is generic, their packed keys, as a flat list. A block that
// already holds ARGV[2] (the block cap) others is generic: it takes no
// more members, and its members are not returned, since a value so common
// is no evidence. Adding and reading are one step, so of two workers
// indexing one person's two enrolments at the same moment, the second
// finds the first. Adding again is harmless. On a cluster each call names
// one bucket; on a single server one call takes all of a person's blocks.
var blockScript = redis.NewScript(`
local id, cap = ARGV[1], tonumber(ARGV[2])
local function add(k, f)
  local v = redis.call('HGET', k, f) or ''
  local n = #v / 10
  local from = 1
  while true do
    local at = string.find(v, id, from, true)
    if not at then break end
    if (at - 1) % 10 == 0 then
      if n - 1 >= cap then return n - 1, '' end
      return n - 1, v
    end
    from = at + 1
  end
  if n >= cap then return n, '' end
  redis.call('HSET', k, f, v .. id)
  return n, v
end
local out = {}
for i, k in ipairs(KEYS) do
  local n, m = add(k, ARGV[2 + i])
  out[#out + 1] = n
  out[#out + 1] = m
end
return out
`)
