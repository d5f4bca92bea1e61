package threads

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// scriptPipeline runs the script calls fn queues (with EvalSha) in one
// pipeline. When Redis does not know the script (a restart, SCRIPT FLUSH),
// none of the calls ran: it loads the script and runs fn once more.
func (s *base) scriptPipeline(ctx context.Context, script *redis.Script, fn func(p redis.Pipeliner)) error {
	return s.scriptsPipeline(ctx, []*redis.Script{script}, fn)
}

// scriptsPipeline is scriptPipeline for commands that use several scripts.
func (s *base) scriptsPipeline(ctx context.Context, scripts []*redis.Script, fn func(p redis.Pipeliner)) error {
	return s.scriptRun(ctx, scripts, func(fill func(p redis.Pipeliner)) ([]redis.Cmder, error) {
		return s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fill(p); return nil })
	}, fn)
}

// scriptBatched is scriptPipeline through the shared pipelines of
// batcher.go.
func (s *base) scriptBatched(ctx context.Context, script *redis.Script, fn func(p redis.Pipeliner)) error {
	return s.scriptsBatched(ctx, []*redis.Script{script}, fn)
}

// scriptsBatched is scriptBatched for commands that use several scripts.
func (s *base) scriptsBatched(ctx context.Context, scripts []*redis.Script, fn func(p redis.Pipeliner)) error {
	return s.scriptRun(ctx, scripts, func(fill func(p redis.Pipeliner)) ([]redis.Cmder, error) {
		return s.batch.pipelined(ctx, fill)
	}, fn)
}

// scriptRun runs fn's commands with run and, when a script was not loaded,
// loads the scripts and runs them once more.
func (s *base) scriptRun(ctx context.Context, scripts []*redis.Script, run func(func(p redis.Pipeliner)) ([]redis.Cmder, error), fn func(p redis.Pipeliner)) error {
	for attempt := 0; ; attempt++ {
		cmds, err := run(fn)
		noScript := false
		for _, c := range cmds {
			if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
				noScript = true
			}
		}
		if !noScript || attempt > 0 {
			return err
		}
		for _, script := range scripts {
			if err := script.Load(ctx, s.rdb).Err(); err != nil {
				return err
			}
		}
	}
}

// evalShaStrings queues EVALSHA of script on p for a script that answers
// a list of strings, read as strings: a *redis.Cmd boxes every value in an
// interface first, and the post script, run for every line, answers the
// room's members when they changed. NOSCRIPT comes back as the command's
// error, as with EvalSha.
func evalShaStrings(ctx context.Context, p redis.Pipeliner, script *redis.Script, keys []string, args ...any) *redis.StringSliceCmd {
	cmdArgs := make([]any, 0, 3+len(keys)+len(args))
	cmdArgs = append(cmdArgs, "evalsha", script.Hash(), len(keys))
	for _, k := range keys {
		cmdArgs = append(cmdArgs, k)
	}
	cmd := redis.NewStringSliceCmd(ctx, append(cmdArgs, args...)...)
	if len(keys) > 0 {
		cmd.SetFirstKeyPos(3) // a cluster routes it by its first key
	}
	_ = p.Process(ctx, cmd)
	return cmd
}

// The Lua scripts. Each touches keys of one hash tag only, so it runs
// unchanged on Redis Cluster. go-redis sends EVALSHA and falls back to EVAL.

// scriptWriteUser stores a user with its index entries, refusing taken
// ids, addresses and numbers, addresses outside the allowed domains and
// profile fields the admin has not defined.
// KEYS: users, byEmail, byPhone, domains, field defs, field held counts,
// then the search index keys the ops name.
// ARGV: id, json, old json ("" to create), phone, old phone,
// n, n emails, m, m old emails,
// a, a addresses new to the user (checked against the allowed domains),
// f, f profile field names (each must be defined),
// h, h pairs of field name and +1/-1 (users holding a value),
// x, x triples of op (SADD, SREM, ZADD, ZREM), key index, member.
var scriptWriteUser = redis.NewScript(`
local id, data, old, phone = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local pos = 5
local function arg() pos = pos + 1; return ARGV[pos] end
local cur = redis.call('HGET', KEYS[1], id)
if old == '' then
  if cur then return 'exists' end
elseif cur ~= old then
  return 'conflict'
end
local emails, oldEmails = {}, {}
for i = 1, tonumber(arg()) do emails[i] = arg() end
for i = 1, tonumber(arg()) do oldEmails[i] = arg() end
for _, e in ipairs(emails) do
  local owner = redis.call('HGET', KEYS[2], e)
  if owner and owner ~= id then return 'email ' .. e end
end
if phone ~= '' then
  local owner = redis.call('HGET', KEYS[3], phone)
  if owner and owner ~= id then return 'phone ' .. phone end
end
local restricted = redis.call('SCARD', KEYS[4]) > 0
for i = 1, tonumber(arg()) do
  local a = arg()
  if restricted and redis.call('SISMEMBER', KEYS[4], string.match(a, '@([^@]*)$') or '') == 0 then
    return 'domain ' .. a
  end
end
for i = 1, tonumber(arg()) do
  local f = arg()
  if redis.call('HEXISTS', KEYS[5], f) == 0 then return 'field ' .. f end
end
for _, e in ipairs(oldEmails) do redis.call('HDEL', KEYS[2], e) end
if ARGV[5] ~= '' then redis.call('HDEL', KEYS[3], ARGV[5]) end
for _, e in ipairs(emails) do redis.call('HSET', KEYS[2], e, id) end
if phone ~= '' then redis.call('HSET', KEYS[3], phone, id) end
for i = 1, tonumber(arg()) do
  local f = arg()
  if redis.call('HINCRBY', KEYS[6], f, tonumber(arg())) <= 0 then redis.call('HDEL', KEYS[6], f) end
end
for i = 1, tonumber(arg()) do
  local op = arg()
  local key = KEYS[tonumber(arg())]
  if op == 'ZADD' then
    redis.call('ZADD', key, 0, arg())
  else
    redis.call(op, key, arg())
  end
end
redis.call('HSET', KEYS[1], id, data)
return 'ok'
`)

// scriptCreateRoom creates a room with its members unless it exists.
// KEYS: meta, members. ARGV: name, topic, kind, created ms, owner ("" for
// none), members...
var scriptCreateRoom = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'topic', ARGV[2], 'kind', ARGV[3], 'created', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'owner', ARGV[5]) end
for i = 6, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 'ok'
`)

// scriptMembership adds or removes one member, and counts the change in
// the room's membership version (the meta's "mv", see scriptPost).
// KEYS: meta, members. ARGV: "add" or "remove", user, minimum members.
var scriptMembership = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'noroom' end
if ARGV[1] == 'add' then
  if redis.call('HGET', KEYS[1], 'kind') == 'direct' then return 'direct' end
  if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 'same' end
  redis.call('HINCRBY', KEYS[1], 'mv', 1)
  return 'ok'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then return 'same' end
if redis.call('SCARD', KEYS[2]) <= tonumber(ARGV[3]) then return 'toofew' end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'mv', 1)
return 'ok'
`)

// scriptPost stores a line: XADD, dedupe, fan-out due record and the live
// event, all or nothing. Every redis.call costs a few microseconds of
// Redis's time on top of its command, on every line: the room's meta is
// read once (a room exists while its meta has its creation time, which
// CreateRoom always writes), and its members only when the caller does not
// hold them: the membership version is the room's creation time and its
// count of membership changes ("mv", scriptMembership, the only writer of
// the members after CreateRoom), so that a room made again after Redis
// lost its data never matches a list held from before. A caller sends the
// version it holds only when the author is among the members it holds
// (heldVersion): the version matching proves the author a member with no
// SISMEMBER. The dedupe key is set in the same call that reads it (SET NX
// GET, after the XADD): a message seen before, whose first line is still
// there, has the new entry deleted again and gets the first line back.
// KEYS: meta, members, lines, source, pending, live channel (declared: on
// a cluster it is a shard channel of the room's slot).
// ARGV: author, name, text, origin, attachments json, source id, time ms,
// the membership version the caller holds the members of, the author
// among them ("" for none), dedupe seconds, event json (without the id
// and the text: the script appends the text, so that it crosses the wire
// once), quote, urgent ("1" or ""), sharded ("1": SPUBLISH, else
// PUBLISH), unverified ("1" or ""); with NewLine.LoopCheck, the loop
// breaker's limit, source id and window (loopGuardLua), and KEYS its two
// keys.
// Returns {"new", id, kind, version, "same"} (the caller's members are
// the room's) or {"new", id, kind, version, "members", members...}, or
// {"dup", id, field, value, ...} or {"loop", verdict} or an error word.
var scriptPost = redis.NewScript(loopGuardLua + `
local meta = redis.call('HMGET', KEYS[1], 'created', 'kind', 'mv')
if not meta[1] then return {'noroom'} end
local version = meta[1] .. '.' .. (meta[3] or '0')
local members = nil
if version ~= ARGV[8] then members = redis.call('SMEMBERS', KEYS[2]) end
if members and ARGV[4] ~= 'system' then
  local member = false
  for _, m in ipairs(members) do
    if m == ARGV[1] then member = true; break end
  end
  if not member then return {'notmember'} end
end
if ARGV[15] then
  local v = guard(KEYS[7], KEYS[8], ARGV[15], ARGV[16], ARGV[17])
  if v ~= 0 then return {'loop', tostring(v)} end
end
local fields = {'a', ARGV[1], 'n', ARGV[2], 't', ARGV[3], 'o', ARGV[4], 'ts', ARGV[7]}
if ARGV[5] ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = ARGV[5] end
if ARGV[6] ~= '' then fields[#fields + 1] = 's'; fields[#fields + 1] = ARGV[6] end
if ARGV[11] ~= '' then fields[#fields + 1] = 'q'; fields[#fields + 1] = ARGV[11] end
if ARGV[12] == '1' then fields[#fields + 1] = 'u'; fields[#fields + 1] = '1' end
if ARGV[14] == '1' then fields[#fields + 1] = 'v'; fields[#fields + 1] = '1' end
local id = redis.call('XADD', KEYS[3], '*', unpack(fields))
if ARGV[6] ~= '' then
  local prev = redis.call('SET', KEYS[4], id, 'NX', 'GET', 'EX', ARGV[9])
  if prev then
    local e = redis.call('XRANGE', KEYS[3], prev, prev)
    if #e == 1 then
      redis.call('XDEL', KEYS[3], id)
      local out = {'dup', prev}
      for _, v in ipairs(e[1][2]) do out[#out + 1] = v end
      return out
    end
    redis.call('SET', KEYS[4], id, 'EX', ARGV[9])
  end
end
redis.call('ZADD', KEYS[5], ARGV[7], id)
redis.call(ARGV[13] == '1' and 'SPUBLISH' or 'PUBLISH', KEYS[6], 'line\n' .. id .. '\n' .. ARGV[10] .. '\n' .. ARGV[3])
if not members then return {'new', id, meta[2] or 'group', version, 'same'} end
local out = {'new', id, meta[2] or 'group', version, 'members'}
for _, m in ipairs(members) do out[#out + 1] = m end
return out
`)

// scriptSettle finishes a claimed queue entry: acknowledges and deletes it
// from the stream and then, by mode, records its jobs as done or
// dead-letters it.
// KEYS: jobs, dead, then the done key of each job. ARGV: group, entry id,
// mode ("done", "dead"), entry text, reason, done seconds.
var scriptSettle = redis.NewScript(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if ARGV[3] == 'done' then
  for i = 3, #KEYS do redis.call('SET', KEYS[i], '1', 'EX', tonumber(ARGV[6])) end
elseif acked == 1 and ARGV[3] == 'dead' then
  redis.call('XADD', KEYS[2], '*', 'j', ARGV[4], 'reason', ARGV[5])
end
return acked
`)

// scriptGather moves the jobs of a claimed queue entry into their batches:
// each into its batch hash (one field per line, so a duplicate job folds
// into one) with the batch's due time and its place in the order set; a
// job already delivered is skipped. A job that must go at once (its "now"
// "1": a meeting) brings its batch's due time forward to its own, unless
// the batch is leased. Then the entry is acknowledged and deleted.
// KEYS: jobs, batches, leases, then per job: batch, done, order.
// ARGV: group, entry id, then per job: line id, job json, due ms, batch
// name, order score, now.
var scriptGather = redis.NewScript(`
for i = 0, (#KEYS - 3) / 3 - 1 do
  local k, a = 4 + i * 3, 3 + i * 6
  if redis.call('EXISTS', KEYS[k + 1]) == 0 then
    redis.call('HSET', KEYS[k], 'l:' .. ARGV[a], ARGV[a + 1])
    if ARGV[a + 5] == '1' and redis.call('HEXISTS', KEYS[3], ARGV[a + 3]) == 0 then
      redis.call('ZADD', KEYS[2], 'LT', ARGV[a + 2], ARGV[a + 3])
    else
      redis.call('ZADD', KEYS[2], 'NX', ARGV[a + 2], ARGV[a + 3])
    end
    redis.call('ZADD', KEYS[k + 2], 'NX', ARGV[a + 4], ARGV[a + 3])
  end
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`)

// scriptLeaseBatch leases one due batch to the caller, unless another
// worker leased it first or an older batch of the same member, room and
// channel is still unsettled (the order set: lines go out in posting
// order): its due time moves to now+lease (so it comes back if the caller
// dies) and its attempt count goes up before the attempt is made; a
// non-empty owner is recorded in leases, so that the lease can be handed
// back early (Queue.Release, Queue.ReleaseOwned). The lines of the attempt
// are recorded too ('sending', with 'sending_at' the attempt), unless an
// earlier attempt recorded them and was never settled as sent: that
// attempt may have gone out, so the same lines go again (the same
// Message-ID) and the lines that joined since wait for the next one.
// KEYS: batches, batch, order, leases. ARGV: now ms, lease ms, batch name,
// owner. Returns the batch hash as a flat list, or an empty list.
var scriptLeaseBatch = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not due or tonumber(due) > tonumber(ARGV[1]) then return {} end
local all = redis.call('HGETALL', KEYS[2])
if #all == 0 then
  redis.call('ZREM', KEYS[1], ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return {}
end
local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
if head and head ~= ARGV[3] then return {} end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
-- The hash was read once: the attempt, the lines and whether an attempt
-- is recorded come from it, and the reply is it with the changes made.
local attempt, at, sending = 1, nil, false
local lines = {}
for i = 1, #all, 2 do
  local f = all[i]
  if f == 'attempt' then
    attempt, at = tonumber(all[i + 1]) + 1, i + 1
  elseif f == 'sending' then
    sending = true
  elseif string.sub(f, 1, 2) == 'l:' then
    lines[#lines + 1] = string.sub(f, 3)
  end
end
local function put(field, value)
  all[#all + 1] = field
  all[#all + 1] = value
end
if at then all[at] = tostring(attempt) else put('attempt', tostring(attempt)) end
if sending then
  redis.call('HSET', KEYS[2], 'attempt', attempt)
else
  local l = table.concat(lines, ' ')
  redis.call('HSET', KEYS[2], 'attempt', attempt, 'sending', l, 'sending_at', attempt)
  put('sending', l)
  put('sending_at', tostring(attempt))
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
end
return all
`)

// scriptParkBatches parks due batches behind their stream's head while the
// head is not due (batch.go): each moves to the head's due time, never
// earlier than its own, and is marked parked. Nothing happens if the head
// is due by now. KEYS: batches, order set, parked. ARGV: now ms, then the
// batch names. Returns how many were parked.
var scriptParkBatches = redis.NewScript(`
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not head then return 0 end
local at = redis.call('ZSCORE', KEYS[1], head)
if not at or tonumber(at) <= tonumber(ARGV[1]) then return 0 end
local n = 0
for i = 2, #ARGV do
  if ARGV[i] ~= head and redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    if redis.call('ZADD', KEYS[1], 'XX', 'GT', 'CH', at, ARGV[i]) == 1 then
      redis.call('SADD', KEYS[3], ARGV[i])
      n = n + 1
    end
  end
end
return n
`)

// scriptReleaseBatch hands a lease back before it ends: the batch is due
// at ARGV[2] again. With ARGV[4] "1" the attempt leased is not counted
// (the send was never begun), nor its record of the lines sent. Only the lease of owner ARGV[3] is released
// ("" releases an unrecorded lease). KEYS: batches, batch, leases.
// ARGV: batch name, due ms, owner, uncount. Returns 1 when released.
var scriptReleaseBatch = redis.NewScript(`
local owner = redis.call('HGET', KEYS[3], ARGV[1])
if (owner or '') ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('HGET', KEYS[2], 'sending_at') == redis.call('HGET', KEYS[2], 'attempt') then
    redis.call('HDEL', KEYS[2], 'sending', 'sending_at')
  end
  local a = redis.call('HINCRBY', KEYS[2], 'attempt', -1)
  if a <= 0 then redis.call('HDEL', KEYS[2], 'attempt') end
end
return 1
`)

// scriptSettleBatch finishes a leased batch. Mode "done": the lines sent
// (or dropped) leave the batch and their jobs are remembered as delivered;
// lines that arrived meanwhile stay, due again at ARGV[3], for an attempt
// of their own. Mode "retry": due again at ARGV[3], the reason kept, and
// the lines of the attempt too (a failed send may still have gone out:
// the retry sends the same lines). Mode "dead": every job of the
// batch goes to the dead letters with the reason and the attempts made.
// Every mode ends the batch's lease record; a batch that ends leaves its
// order set, so the next batch of its member, room and channel may go: at
// once (ARGV[6], now) if Lease had parked it behind this one.
// KEYS: batch, batches, dead, leases, order, parked, then one done key per
// line field. ARGV: mode, batch name, due ms, reason, done seconds, now
// ms, then the line fields (ARGV[i] goes with KEYS[i]).
var scriptSettleBatch = redis.NewScript(`
local mode = ARGV[1]
local function ended()
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[5], ARGV[2])
  redis.call('SREM', KEYS[6], ARGV[2])
  local nxt = redis.call('ZRANGE', KEYS[5], 0, 0)[1]
  if nxt and redis.call('SREM', KEYS[6], nxt) == 1 then
    redis.call('ZADD', KEYS[2], 'XX', ARGV[6], nxt)
  end
  return 1
end
redis.call('HDEL', KEYS[4], ARGV[2])
if mode == 'retry' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
  redis.call('HSET', KEYS[1], 'error', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  return 1
end
if mode == 'dead' then
  local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'l:' then
      redis.call('XADD', KEYS[3], '*', 'j', all[i + 1], 'reason', ARGV[4], 'attempt', attempt)
    end
  end
  return ended()
end
local settled = {}
for i = 7, #ARGV do
  settled[ARGV[i]] = true
  redis.call('SET', KEYS[i], '1', 'EX', tonumber(ARGV[5]))
end
-- Lines that came in meanwhile stay for an attempt of their own; with none
-- (most batches) the batch ends, and its DEL takes the settled lines along.
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'l:' and not settled[f] then
    for i = 7, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
    redis.call('HDEL', KEYS[1], 'attempt', 'error', 'sending', 'sending_at')
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
    return 1
  end
end
return ended()
`)

// scriptMarkRead moves a member's read marker forward, never back.
// KEYS: read. ARGV: member, line id.
var scriptMarkRead = redis.NewScript(`
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local cm, cs = parse(cur)
  local nm, ns = parse(ARGV[2])
  if nm < cm or (nm == cm and ns <= cs) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// scriptHeartbeat records a heartbeat of an existing user.
// KEYS: users, seen (last activity), conn (last beat), seen-by (client of
// the last activity), thresholds. ARGV: user, now ms, activity, client,
// the process's idle ms (when none is stored).
// Returns {-1, 0, 0, 0} for an unknown user, else {the previous activity
// (unix ms, 0 if none), 1 if it was withdrawn, 1 if this beat withdrew it,
// the idle time in force (ms)}.
var scriptHeartbeat = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1, 0, 0, 0} end
local idle = tonumber(redis.call('HGET', KEYS[5], 'idle_ms') or ARGV[5]) or tonumber(ARGV[5])
local prev = redis.call('HGET', KEYS[2], ARGV[1]) or ''
local ms = tonumber(string.match(prev, '^%d+') or '0')
local was = 0
if string.find(prev, ' idle', 1, true) then was = 1 end
local now = 0
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if ARGV[3] == 'active' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
elseif ARGV[3] == 'idle' and ms > 0 and was == 0 and (redis.call('HGET', KEYS[4], ARGV[1]) or '') == ARGV[4] then
  redis.call('HSET', KEYS[2], ARGV[1], ms .. ' idle')
  now = 1
end
return {ms, was, now, idle}
`)

// scriptQueueNotice queues a notice unless as many of the same kind as the
// limit went to the same address within the period (counted from the
// first). KEYS: sent counter, notices stream.
// ARGV: period seconds, notice json, limit. Returns 1 when queued.
var scriptQueueNotice = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
if n > tonumber(ARGV[3]) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'n', ARGV[2])
return 1
`)

// scriptBeat sets a heartbeat and returns the one it replaced.
// KEYS: alive. ARGV: consumer, "ms run".
var scriptBeat = redis.NewScript(`
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return prev
`)
