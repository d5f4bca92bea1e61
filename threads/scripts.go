package threads

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each touches keys of one hash tag only, so it runs
// unchanged on Redis Cluster. go-redis sends EVALSHA and falls back to EVAL.

// scriptWriteUser stores a user and its index entries, refusing taken ids,
// addresses and numbers. KEYS: users, byEmail, byPhone. ARGV: id, json,
// old json ("" to create), phone, old phone, n, n emails, m, m old emails.
var scriptWriteUser = redis.NewScript(`
local id, data, old = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HGET', KEYS[1], id)
if old == '' then
  if cur then return 'exists' end
elseif cur ~= old then
  return 'conflict'
end
local n = tonumber(ARGV[6])
local m = tonumber(ARGV[7 + n])
for i = 1, n do
  local owner = redis.call('HGET', KEYS[2], ARGV[6 + i])
  if owner and owner ~= id then return 'email ' .. ARGV[6 + i] end
end
local phone = ARGV[4]
if phone ~= '' then
  local owner = redis.call('HGET', KEYS[3], phone)
  if owner and owner ~= id then return 'phone ' .. phone end
end
for i = 1, m do redis.call('HDEL', KEYS[2], ARGV[7 + n + i]) end
if ARGV[5] ~= '' then redis.call('HDEL', KEYS[3], ARGV[5]) end
for i = 1, n do redis.call('HSET', KEYS[2], ARGV[6 + i], id) end
if phone ~= '' then redis.call('HSET', KEYS[3], phone, id) end
redis.call('HSET', KEYS[1], id, data)
return 'ok'
`)

// scriptCreateRoom creates a room with its members unless it exists.
// KEYS: meta, members. ARGV: name, topic, kind, created ms, members...
var scriptCreateRoom = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'topic', ARGV[2], 'kind', ARGV[3], 'created', ARGV[4])
for i = 5, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 'ok'
`)

// scriptMembership adds or removes one member.
// KEYS: meta, members. ARGV: "add" or "remove", user, minimum members.
var scriptMembership = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'noroom' end
if ARGV[1] == 'add' then
  if redis.call('HGET', KEYS[1], 'kind') == 'direct' then return 'direct' end
  return redis.call('SADD', KEYS[2], ARGV[2]) == 1 and 'ok' or 'same'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then return 'same' end
if redis.call('SCARD', KEYS[2]) <= tonumber(ARGV[3]) then return 'toofew' end
redis.call('SREM', KEYS[2], ARGV[2])
return 'ok'
`)

// scriptPost stores a line: dedupe check, XADD, dedupe key, fan-out due
// record and the live event, all or nothing.
// KEYS: meta, members, lines, source, pending.
// ARGV: author, name, text, origin, attachments json, source id, time ms,
// live channel, dedupe seconds, event json (without the id).
// Returns {"new", id, kind, members...} or {"dup", id, field, value, ...}
// or an error word.
var scriptPost = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'noroom'} end
if ARGV[4] ~= 'system' and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {'notmember'} end
if ARGV[6] ~= '' then
  local prev = redis.call('GET', KEYS[4])
  if prev then
    local e = redis.call('XRANGE', KEYS[3], prev, prev)
    if #e == 1 then
      local out = {'dup', prev}
      for _, v in ipairs(e[1][2]) do out[#out + 1] = v end
      return out
    end
  end
end
local fields = {'a', ARGV[1], 'n', ARGV[2], 't', ARGV[3], 'o', ARGV[4], 'ts', ARGV[7]}
if ARGV[5] ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = ARGV[5] end
if ARGV[6] ~= '' then fields[#fields + 1] = 's'; fields[#fields + 1] = ARGV[6] end
local id = redis.call('XADD', KEYS[3], '*', unpack(fields))
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], id, 'EX', ARGV[9]) end
redis.call('ZADD', KEYS[5], ARGV[7], id)
redis.call('PUBLISH', ARGV[8], 'line\n' .. id .. '\n' .. ARGV[10])
local out = {'new', id, redis.call('HGET', KEYS[1], 'kind') or 'group'}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[2])) do out[#out + 1] = m end
return out
`)

// scriptPromote moves due retries back onto the shard's stream.
// KEYS: retry, jobs. ARGV: now ms, limit.
var scriptPromote = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'j', job)
  redis.call('ZREM', KEYS[1], job)
end
return #due
`)

// scriptSettle finishes a claimed job: acknowledges and deletes it from the
// stream and then, by mode, records it as done, schedules a retry, or
// dead-letters it. KEYS: jobs, retry, dead, done.
// ARGV: group, entry id, mode ("done", "retry", "dead"), job json, due ms
// or reason, done seconds.
var scriptSettle = redis.NewScript(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if ARGV[3] == 'done' then
  redis.call('SET', KEYS[4], '1', 'EX', tonumber(ARGV[6]))
elseif acked == 1 and ARGV[3] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
elseif acked == 1 and ARGV[3] == 'dead' then
  redis.call('XADD', KEYS[3], '*', 'j', ARGV[4], 'reason', ARGV[5])
end
return acked
`)
