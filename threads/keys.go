package threads

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// keys builds every Redis key and channel name parley uses. No other file
// spells a key. Keys that must change together share one hash tag (the part
// in braces) so that they live in one Redis Cluster slot:
//
//	{users}:all        hash  user id -> user JSON
//	{users}:email      hash  lower-cased address -> user id
//	{users}:phone      hash  E.164 number -> user id
//	{users}:presence   hash  user id -> status set by hand (JSON)
//	{users}:seen       hash  user id -> last heartbeat (unix ms)
//	{tokens}:PURPOSE   hash  reply or unsubscribe token -> "room/member"
//	{u:ID}:rooms       set   the rooms of one user (an index)
//	{rooms}:all        set   every room id
//	{r:ID}:meta        hash  room name, topic, kind, created, owner
//	{r:ID}:members     set   member ids
//	{r:ID}:lines       stream the room's lines, in order
//	{r:ID}:pending     zset  line ids whose fan-out is due, scored by post time
//	{r:ID}:src:HASH    string line id posted with that source id (dedupe)
//	{r:ID}:read        hash  member -> id of the last line they have seen
//	{r:ID}:muted       set   members who get nothing pushed from the room (digest only)
//	{notices}:queue    stream notices to send (consumer group "notifiers")
//	{notices}:sent:H   string how many notices of a kind went to an address this period
//	{cursors}          hash  name -> a door's saved position (IMAP UIDs)
//	{held}             stream inbound messages held for review
//	{outbox}           stream what would have been sent, when nothing is sent for real
//	{q:N}:jobs         stream delivery jobs of shard N (consumer group "workers")
//	{q:N}:retry        zset  jobs waiting to be retried, scored by due time
//	{q:N}:dead         stream jobs that failed for good, with the reason
//	{q:N}:batches      zset  batch names, scored by when each is due (or its lease ends)
//	{q:N}:batch:NAME   hash  a batch: "l:LINE" -> job JSON, attempt, error
//	{q:N}:done:KEY     string idempotency record of a delivered job
//	live:r:ID          pub/sub channel of a room's events
//	live:u:ID          pub/sub channel of a user's membership events
//
// Web sign-in, sessions and API tokens (web):
//
//	{auth}:signin:H    string user id of a one-time sign-in token (H: its SHA-256), 15 min
//	{auth}:session:H   string session JSON (user, CSRF token), expires with the session
//	{auth}:tokens      hash  API token hash -> token JSON (id, user, name, created)
//	{auth}:tokens:u:ID hash  token id -> API token hash, the tokens of one user
type keys struct {
	prefix string
}

func (k keys) users() string    { return k.prefix + "{users}:all" }
func (k keys) byEmail() string  { return k.prefix + "{users}:email" }
func (k keys) byPhone() string  { return k.prefix + "{users}:phone" }
func (k keys) presence() string { return k.prefix + "{users}:presence" }
func (k keys) seen() string     { return k.prefix + "{users}:seen" }

func (k keys) tokens(purpose string) string { return k.prefix + "{tokens}:" + purpose }

func (k keys) userRooms(user string) string { return k.prefix + "{u:" + user + "}:rooms" }

func (k keys) rooms() string { return k.prefix + "{rooms}:all" }

func (k keys) room(id string) string       { return k.prefix + "{r:" + id + "}:meta" }
func (k keys) members(id string) string    { return k.prefix + "{r:" + id + "}:members" }
func (k keys) lines(id string) string      { return k.prefix + "{r:" + id + "}:lines" }
func (k keys) pending(id string) string    { return k.prefix + "{r:" + id + "}:pending" }
func (k keys) read(id string) string       { return k.prefix + "{r:" + id + "}:read" }
func (k keys) muted(id string) string      { return k.prefix + "{r:" + id + "}:muted" }
func (k keys) notices() string             { return k.prefix + "{notices}:queue" }
func (k keys) noticeSent(h string) string  { return k.prefix + "{notices}:sent:" + h }
func (k keys) cursors() string             { return k.prefix + "{cursors}" }
func (k keys) held() string                { return k.prefix + "{held}" }
func (k keys) outbox() string              { return k.prefix + "{outbox}" }
func (k keys) roomLive(id string) string   { return k.prefix + "live:r:" + id }
func (k keys) userLive(user string) string { return k.prefix + "live:u:" + user }

// source is the dedupe key of a line posted with an outside source id. The
// id is hashed: Message-IDs can be long and hold any byte.
func (k keys) source(room, sourceID string) string {
	sum := sha256.Sum256([]byte(sourceID))
	return k.prefix + "{r:" + room + "}:src:" + hex.EncodeToString(sum[:16])
}

func (k keys) shard(n int) string              { return k.prefix + "{q:" + strconv.Itoa(n) + "}" }
func (k keys) jobs(n int) string               { return k.shard(n) + ":jobs" }
func (k keys) retry(n int) string              { return k.shard(n) + ":retry" }
func (k keys) dead(n int) string               { return k.shard(n) + ":dead" }
func (k keys) batches(n int) string            { return k.shard(n) + ":batches" }
func (k keys) batch(n int, name string) string { return k.shard(n) + ":batch:" + name }
func (k keys) done(n int, key string) string {
	sum := sha256.Sum256([]byte(key))
	return k.shard(n) + ":done:" + hex.EncodeToString(sum[:16])
}

// Web sign-in, sessions and API tokens. The hashes are SHA-256 hex of the
// secret: Redis never holds a usable token.
func (k keys) signIn(hash string) string        { return k.prefix + "{auth}:signin:" + hash }
func (k keys) session(hash string) string       { return k.prefix + "{auth}:session:" + hash }
func (k keys) apiTokens() string                { return k.prefix + "{auth}:tokens" }
func (k keys) userAPITokens(user string) string { return k.prefix + "{auth}:tokens:u:" + user }
