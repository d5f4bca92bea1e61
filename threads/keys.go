package threads

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// keys builds every Redis key and channel name parley uses. No other file
// spells a key. Keys that must change together share one hash tag (the part
// in braces) so that they live in one Redis Cluster slot:
//
//	{users}:all        hash  user id -> user JSON
//	{users}:email      hash  lower-cased address -> user id
//	{users}:phone      hash  E.164 number -> user id
//	{users}:presence   hash  user id -> status set by hand (JSON)
//	{users}:seen       hash  user id -> last activity a client reported (unix ms; "MS idle" once withdrawn)
//	{users}:seenby     hash  user id -> the client that reported that activity
//	{users}:conn       hash  user id -> last heartbeat of any client, active or not (unix ms)
//	{users}:thresholds hash  presence thresholds every process uses: "idle_ms", "offline_ms"
//	{tokens}:PURPOSE   hash  reply or unsubscribe token -> "room/member"
//	bounce:TOKEN       string recipient and Message-ID of one sent email (VERP envelope sender), 14 days
//	{u:ID}:rooms       set   the rooms of one user (an index)
//	{rooms}:all        set   every room id
//	{r:ID}:meta        hash  room name, topic, kind, created, owner, confidential
//	{r:ID}:members     set   member ids
//	{r:ID}:lines       stream the room's lines, in order
//	{r:ID}:pending     zset  line ids whose fan-out is due, scored by post time
//	{r:ID}:src:HASH    string line id posted with that source id (dedupe)
//	{r:ID}:read        hash  member -> id of the last line they have seen
//	{r:ID}:muted       set   members who get nothing pushed from the room (digest only)
//	{r:ID}:mailrate:U  string lines member U posted by email in the room this minute (loop breaker)
//	{r:ID}:repeat:H    string a sender's text posted by email within the hour (H: hash of sender and text)
//	{notices}:queue    stream notices to send (consumer group "notifiers")
//	{notices}:sent:H   string how many notices of a kind went to an address this period
//	{cursors}          hash  name -> a door's saved position (IMAP UIDs)
//	{held}             stream inbound messages held for review
//	{outbox}           stream what would have been sent, when nothing is sent for real
//	{q:N}:jobs         stream delivery jobs of shard N (consumer group "workers")
//	{q:N}:dead         stream jobs that failed for good, with the reason
//	{q:N}:batches      zset  batch names, scored by when each is due (or its lease ends)
//	{q:N}:batch:NAME   hash  a batch: "l:LINE" -> job JSON, attempt, error
//	{q:N}:done:KEY     string idempotency record of a delivered job
//	{q:N}:order:M/R/C  zset  unsettled batch names of member M, room R, channel C, by first line (sent in that order)
//	{q:N}:leases       hash  batch name -> consumer that holds its lease (until settled or released)
//	{workers}:alive    hash  consumer name -> its last heartbeat (unix ms); a stale one has stopped
//	{u:ID}:autoreply:H string when ID's auto-reply last went to one sender (H: sender and text), and for which line
//	{u:ID}:urgent      zset  ID's recent !urgent lines, scored by time (rate limit)
//	{u:ID}:urgent:told string ID was told they are over the urgent limit
//	{r:ID}:live        pub/sub channel of a room's events (sharded on a cluster,
//	                   in the room's slot, so the post script can publish to it)
//	{u:ID}:live        pub/sub channel of a user's membership events
//
// SMS (issue 5); the keys of one member phone share the tag {sms:PHONE}:
//
//	{sms:PHONE}:bind     hash  parley number -> room bound to (phone, number)
//	{sms:PHONE}:bound    hash  room -> parley number (the same binding, reversed)
//	{sms:PHONE}:last     hash  parley number ("*": any) -> room last texted from it
//	{sms:PHONE}:fail     zset  SIDs of texts the handset did not take, by time
//	{sms:PHONE}:once:K   string a reply of kind K went to the number today
//	{sms:PHONE}:replies  string replies sent to the number this hour (counter)
//	{sms:PHONE}:in:SID   string an inbound MessageSid already handled
//	{smsmsg:SID}         hash  a sent text: member, room, lines, status, error
//	{smsday:ID}:DATE     string segments texted to member ID on that day
//
// Web sign-in, sessions and API tokens (web):
//
//	{auth}:signin:H    string user id of a one-time sign-in token (H: its SHA-256), 15 min
//	{auth}:session:H   string session JSON (user, CSRF token), expires with the session
//	{auth}:tokens      hash  API token hash -> token JSON (id, user, name, created)
//	{auth}:tokens:u:ID hash  token id -> API token hash, the tokens of one user
//	{auth}:code:H      hash  a texted sign-in code (H: SHA-256 of the number): owner, to, salt, hash, expires, tries
//	{auth}:phonecode:ID hash a texted code proving member ID's phone, the same fields
//	{auth}:codes:P:ID  string codes of purpose P (signin, phone) made for member ID this hour (counter)
//
// Digests and transcripts:
//
//	{r:ID}:emailed     hash  member -> id of the last line emailed or texted to them
//	{r:ID}:digested    hash  member -> id of the last line a digest covered
//	{r:ID}:subjects    hash  member -> subject of their relay emails from the room (first writer wins, no TTL)
//	{r:ID}:held:M      zset  line ids routing held for member M's digest, scored by id ms
//	{esc}:due          zset  "ROOM LINE MEMBER FROM" escalations, scored by when due (or their claim's lease ends)
//	{esc}:done:H       string a line escalated to a member (H: room, line, member), 7 days
//	{r:ID}:escalate    hash  member -> "DUE_MS LINE CHANNEL" of their first pending escalation in the room
//	{r:ID}:reached:L   hash  member -> how line L went out to them ("email@MS sms@MS"), 7 days
//	{digest}:due       zset  member -> when their next digest is due (or their claim's lease ends)
//	{digest}:period    hash  member -> the due time (ms) of the digest scheduled or being sent
//	{digest}:sent:M:P  string the digest of member M for period P: "sending", "sent", "failed"
//	{transcripts}:queue stream transcripts asked for by email (consumer group "transcribers")
//	{transcripts}:sent:H string a transcript of a room went to a member lately (rate limit)
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
//	{users}:lookalike    hash  NameSkeleton(display name) -> user id (confusable names are refused)
//	{settings}           hash  organisation settings ("retention_days")
//	{audit}              stream the audit log of admin actions and sign-ins
//
// OpenPGP (issue 19):
//
//	{users}:pgp        hash  user id -> the member's public key (MemberKey JSON)
//	{parley}:pgpkey    string parley's own OpenPGP key pair, sealed under PARLEY_SECRET
//
// Data at rest (issue 19; seal.go, datakey.go):
//
//	{config}:datakey-check string a fixed text sealed under the data key: which key the data is sealed under
//	KEY:rekey          stream a stream being sealed again by Rekey, renamed over KEY when done
//
// A room's retention override is the field "retention_days" of {r:ID}:meta.
type keys struct {
	prefix string
}

func (k keys) users() string   { return k.prefix + "{users}:all" }
func (k keys) byEmail() string { return k.prefix + "{users}:email" }
func (k keys) byPhone() string { return k.prefix + "{users}:phone" }
func (k keys) lookalike() string {
	return k.prefix + "{users}:lookalike"
}
func (k keys) presence() string { return k.prefix + "{users}:presence" }
func (k keys) seen() string     { return k.prefix + "{users}:seen" }
func (k keys) seenBy() string   { return k.prefix + "{users}:seenby" }
func (k keys) conn() string     { return k.prefix + "{users}:conn" }
func (k keys) thresholds() string {
	return k.prefix + "{users}:thresholds"
}

func (k keys) tokens(purpose string) string { return k.prefix + "{tokens}:" + purpose }
func (k keys) bounce(token string) string   { return k.prefix + "bounce:" + token }

func (k keys) userRooms(user string) string { return k.prefix + "{u:" + user + "}:rooms" }

func (k keys) rooms() string { return k.prefix + "{rooms}:all" }

func (k keys) room(id string) string    { return k.prefix + "{r:" + id + "}:meta" }
func (k keys) members(id string) string { return k.prefix + "{r:" + id + "}:members" }
func (k keys) lines(id string) string   { return k.prefix + "{r:" + id + "}:lines" }
func (k keys) pending(id string) string { return k.prefix + "{r:" + id + "}:pending" }
func (k keys) read(id string) string    { return k.prefix + "{r:" + id + "}:read" }
func (k keys) muted(id string) string   { return k.prefix + "{r:" + id + "}:muted" }
func (k keys) emailRate(id, member string) string {
	return k.prefix + "{r:" + id + "}:mailrate:" + member
}
func (k keys) repeat(id, h string) string  { return k.prefix + "{r:" + id + "}:repeat:" + h }
func (k keys) notices() string             { return k.prefix + "{notices}:queue" }
func (k keys) noticeSent(h string) string  { return k.prefix + "{notices}:sent:" + h }
func (k keys) cursors() string             { return k.prefix + "{cursors}" }
func (k keys) held() string                { return k.prefix + "{held}" }
func (k keys) outbox() string              { return k.prefix + "{outbox}" }
func (k keys) roomLive(id string) string   { return k.prefix + "{r:" + id + "}:live" }
func (k keys) userLive(user string) string { return k.prefix + "{u:" + user + "}:live" }

// roomOfLive is the room whose live channel is ch ("" when ch is not one).
func (k keys) roomOfLive(ch string) string {
	rest, ok := strings.CutPrefix(ch, k.prefix+"{r:")
	if !ok {
		return ""
	}
	room, ok := strings.CutSuffix(rest, "}:live")
	if !ok {
		return ""
	}
	return room
}

// source is the dedupe key of a line posted with an outside source id. The
// id is hashed: Message-IDs can be long and hold any byte.
func (k keys) source(room, sourceID string) string {
	sum := sha256.Sum256([]byte(sourceID))
	return k.prefix + "{r:" + room + "}:src:" + hex.EncodeToString(sum[:16])
}

func (k keys) shard(n int) string              { return k.prefix + "{q:" + strconv.Itoa(n) + "}" }
func (k keys) jobs(n int) string               { return k.shard(n) + ":jobs" }
func (k keys) dead(n int) string               { return k.shard(n) + ":dead" }
func (k keys) batches(n int) string            { return k.shard(n) + ":batches" }
func (k keys) batch(n int, name string) string { return k.shard(n) + ":batch:" + name }
func (k keys) order(n int, batch string) string {
	return k.shard(n) + ":order:" + orderStream(batch)
}
func (k keys) leases(n int) string { return k.shard(n) + ":leases" }
func (k keys) alive() string       { return k.prefix + "{workers}:alive" }

// parked holds the batches Lease parked behind their stream's head (batch.go).
func (k keys) parked(n int) string { return k.shard(n) + ":parked" }

// wake is the channel that tells idle workers new jobs are queued (wake.go).
func (k keys) wake() string { return k.prefix + "{workers}:wake" }
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

// SMS (issue 5).

func (k keys) smsPhone(phone string) string      { return k.prefix + "{sms:" + phone + "}" }
func (k keys) smsBind(phone string) string       { return k.smsPhone(phone) + ":bind" }
func (k keys) smsBound(phone string) string      { return k.smsPhone(phone) + ":bound" }
func (k keys) smsLast(phone string) string       { return k.smsPhone(phone) + ":last" }
func (k keys) smsFail(phone string) string       { return k.smsPhone(phone) + ":fail" }
func (k keys) smsOnce(phone, kind string) string { return k.smsPhone(phone) + ":once:" + kind }
func (k keys) smsReplies(phone string) string    { return k.smsPhone(phone) + ":replies" }
func (k keys) smsIn(phone, sid string) string    { return k.smsPhone(phone) + ":in:" + sid }
func (k keys) smsMessage(sid string) string      { return k.prefix + "{smsmsg:" + sid + "}" }
func (k keys) smsDay(member, date string) string { return k.prefix + "{smsday:" + member + "}:" + date }

// Web sign-in, sessions and API tokens. The hashes are SHA-256 hex of the
// secret: Redis never holds a usable token.
func (k keys) signIn(hash string) string          { return k.prefix + "{auth}:signin:" + hash }
func (k keys) signInCode(phoneHash string) string { return k.prefix + "{auth}:code:" + phoneHash }
func (k keys) phoneCode(user string) string       { return k.prefix + "{auth}:phonecode:" + user }
func (k keys) codesMade(purpose, user string) string {
	return k.prefix + "{auth}:codes:" + purpose + ":" + user
}
func (k keys) session(hash string) string       { return k.prefix + "{auth}:session:" + hash }
func (k keys) apiTokens() string                { return k.prefix + "{auth}:tokens" }
func (k keys) userAPITokens(user string) string { return k.prefix + "{auth}:tokens:u:" + user }

// Digests and transcripts.

func (k keys) emailed(room string) string  { return k.prefix + "{r:" + room + "}:emailed" }
func (k keys) digested(room string) string { return k.prefix + "{r:" + room + "}:digested" }
func (k keys) subjects(room string) string { return k.prefix + "{r:" + room + "}:subjects" }
func (k keys) heldFor(room, member string) string {
	return k.prefix + "{r:" + room + "}:held:" + member
}
func (k keys) escalateDue() string           { return k.prefix + "{esc}:due" }
func (k keys) escalated(h string) string     { return k.prefix + "{esc}:done:" + h }
func (k keys) escalating(room string) string { return k.prefix + "{r:" + room + "}:escalate" }
func (k keys) reached(room, line string) string {
	return k.prefix + "{r:" + room + "}:reached:" + line
}
func (k keys) digestDue() string    { return k.prefix + "{digest}:due" }
func (k keys) digestPeriod() string { return k.prefix + "{digest}:period" }
func (k keys) digestSent(member, period string) string {
	return k.prefix + "{digest}:sent:" + member + ":" + period
}
func (k keys) transcripts() string            { return k.prefix + "{transcripts}:queue" }
func (k keys) transcriptSent(h string) string { return k.prefix + "{transcripts}:sent:" + h }

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

// OpenPGP (issue 19). Member keys share {users} with the address index, so
// that one script finds a key by address.
func (k keys) memberKeys() string { return k.prefix + "{users}:pgp" }
func (k keys) serverKey() string  { return k.prefix + "{parley}:pgpkey" }

// Files (issue 16): how many lines hold each stored file, and the files no
// line holds any more, waiting to be deleted (filerefs.go).
//
//	{files}:refs  hash  file id -> lines that hold it
//	{files}:gone  set   file ids to delete from the file store
func (k keys) fileRefs() string  { return k.prefix + "{files}:refs" }
func (k keys) filesGone() string { return k.prefix + "{files}:gone" }

// dataKeyCheck holds a known text sealed under the data key (datakey.go).
func (k keys) dataKeyCheck() string { return k.prefix + "{config}:datakey-check" }

// rekeyCopy is where Rekey builds the new copy of a stream: the stream's
// own key and a suffix, so both share a slot.
func (k keys) rekeyCopy(stream string) string { return stream + ":rekey" }
