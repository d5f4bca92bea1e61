// Package threads is parley's engine: users, rooms, membership, lines,
// presence, routing policy and the producer and consumer sides of the
// delivery queue, all stored in Redis.
//
// Nothing here knows about SMTP, IMAP, HTTP or Twilio. A line enters through
// Store.Post, is stored once in its room's stream together with its dedupe
// key and a "fan-out due" record (one Redis call, one hash slot), and is then
// routed to every other member: online members read it live, the others get a
// delivery job on the sharded delivery queue. A line that was stored but whose
// fan-out did not finish (the process died) is fanned out by RecoverFanout.
//
// With a data key (Options.Seal) what people wrote is sealed where it is
// written and opened where it is read (seal.go lists the values);
// CheckDataKey guards the start and Rekey moves sealed values to a new key.
package threads
