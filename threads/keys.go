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
//	{r:ID}:meta        hash  room name, topic, kind, created
//	{r:ID}:members     set   member ids
//	{r:ID}:lines       stream the room's lines, in order
//	{r:ID}:pending     zset  line ids whose fan-out is due, scored by post time
//	{r:ID}:src:HASH    string line id posted with that source id (dedupe)
//	{r:ID}:read        hash  member -> id of the last line they have seen
//	{r:ID}:muted       set   members who get nothing pushed from the room (digest only)
//	{notices}:queue    stream notices to send (consumer group "notifiers")
//	{notices}:sent:H   string a notice of a kind went to an address today
//	{cursors}          hash  name -> a door's saved position (IMAP UIDs)
//	{held}             stream inbound messages held for review
//	{outbox}           stream what would have been sent, when nothing is sent for real
//	{q:N}:jobs         stream delivery jobs of shard N (consumer group "workers")
//	{q:N}:retry        zset  jobs waiting to be retried, scored by due time
//	{q:N}:dead         stream jobs that failed for good, with the reason
//	{q:N}:batches      zset  batch names, scored by when each is due (or its lease ends)
//	{q:N}:batch:NAME   hash  a batch: "l:LINE" -> job JSON, attempt, error
//	{q:N}:done:KEY     string idempotency record of a delivered job
//	{u:ID}:autoreply:H string when ID's auto-reply last went to one sender (H: sender and text), and for which line
//	{u:ID}:urgent      zset  ID's recent !urgent lines, scored by time (rate limit)
//	{u:ID}:urgent:told string ID was told they are over the urgent limit
//	live:r:ID          pub/sub channel of a room's events
//	live:u:ID          pub/sub channel of a user's membership events
//
// Profiles and admin settings (issue 7):
//
//	{users}:interest:I   set   ids of enabled users with interest I (lower-case)
//	{users}:interests    set   every interest I that has had a set (for ReindexPeople)
//	{users}:names        zset  "word\x00id" for every word of an enabled user's name (lex search)
//	{users}:fv:NAME      zset  "value\x00id" of an enabled user's profile field NAME (lex search)
//	{users}:fields       hash  profile field name -> definition JSON (the admin's standard)
//	{users}:fieldheld    hash  profile field name -> how many users hold a value (enabled or not)
//	{users}:domains      set   email domains allowed for new addresses (empty: any)
//	{settings}           hash  organisation settings ("retention_days")
//	{audit}              stream the audit log of admin actions and sign-ins
//
// A room's retention override is the field "retention_days" of {r:ID}:meta.
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

// Away auto-replies and urgent lines (threads/autoreply.go, threads/urgent.go).

// autoReplied remembers that member's auto-reply with this text went to
// sender. Text and sender are hashed: a changed text may be sent again.
func (k keys) autoReplied(member, sender, text string) string {
	sum := sha256.Sum256([]byte(sender + "\x00" + text))
	return k.prefix + "{u:" + member + "}:autoreply:" + hex.EncodeToString(sum[:16])
}
func (k keys) urgent(user string) string     { return k.prefix + "{u:" + user + "}:urgent" }
func (k keys) urgentTold(user string) string { return k.prefix + "{u:" + user + "}:urgent:told" }

// Profiles and admin settings (issue 7). The profile indexes share the
// {users} tag with the users hash: a user and their index entries change in
// one script.
func (k keys) interest(name string) string    { return k.prefix + "{users}:interest:" + name }
func (k keys) interestNames() string          { return k.prefix + "{users}:interests" }
func (k keys) names() string                  { return k.prefix + "{users}:names" }
func (k keys) fieldValues(name string) string { return k.prefix + "{users}:fv:" + name }
func (k keys) fieldDefs() string              { return k.prefix + "{users}:fields" }
func (k keys) fieldHeld() string              { return k.prefix + "{users}:fieldheld" }
func (k keys) domains() string                { return k.prefix + "{users}:domains" }
func (k keys) settings() string               { return k.prefix + "{settings}" }
func (k keys) audit() string                  { return k.prefix + "{audit}" }
