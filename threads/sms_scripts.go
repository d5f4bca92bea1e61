package threads

import "github.com/redis/go-redis/v9"

// The Lua scripts of the SMS state (sms.go), declared as in scripts.go.
// Each touches keys of one hash tag only.

// scriptBindNumber returns the pool number bound to a room for one member
// phone, binding the first free one when there is none; "" when the pool
// is used up. A binding to a number no longer in the pool is dropped.
// KEYS: bind (number -> room), bound (room -> number). ARGV: room, pool...
var scriptBindNumber = redis.NewScript(`
local room = ARGV[1]
local cur = redis.call('HGET', KEYS[2], room)
if cur then
  for i = 2, #ARGV do
    if ARGV[i] == cur then return cur end
  end
  redis.call('HDEL', KEYS[2], room)
  if redis.call('HGET', KEYS[1], cur) == room then redis.call('HDEL', KEYS[1], cur) end
end
for i = 2, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], room) == 1 then
    redis.call('HSET', KEYS[2], room, ARGV[i])
    return ARGV[i]
  end
end
return ''
`)

// scriptReserveSegments takes segments from a daily budget unless they do
// not fit. KEYS: day counter. ARGV: n, max, ttl seconds.
// Returns {1 or 0, used before}.
var scriptReserveSegments = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, cur} end
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {1, cur}
`)

// scriptSMSStatus records a text's status; a final status is not replaced
// by an earlier one that arrives late. KEYS: message hash.
// ARGV: status, error code, now ms, ttl seconds. Returns the hash.
var scriptSMSStatus = redis.NewScript(`
local final = {delivered = true, undelivered = true, failed = true, read = true}
local cur = redis.call('HGET', KEYS[1], 'status')
if not (cur and final[cur] and not final[ARGV[1]]) then
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], 'updated', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return redis.call('HGETALL', KEYS[1])
`)

// scriptPhoneFailure adds a failed text to a phone's failures (once per
// SID), forgets those older than the window and counts the rest.
// KEYS: failures. ARGV: now ms, sid, oldest ms kept, ttl seconds.
var scriptPhoneFailure = redis.NewScript(`
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return redis.call('ZCARD', KEYS[1])
`)

// scriptCount counts an event in a fixed window. KEYS: counter.
// ARGV: window seconds. Returns the count including this one.
var scriptCount = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return n
`)
