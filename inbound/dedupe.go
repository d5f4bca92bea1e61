package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"parley/inbound/mailparse"
)

// ContentDedupeFor is how long a reply without a Message-ID is remembered
// by its content: a sender that delivers it twice (a retry after a lost
// 250, a mailbox fetched again) posts it once, and the same words sent
// again on another day are a new line.
const ContentDedupeFor = 24 * time.Hour

// emailSource is the source id a reply is deduplicated by, and how long it
// is remembered (0: the store's default). The author and the Message-ID
// when there is one (so one author's Message-ID never suppresses
// another's reply: anyone can write any Message-ID); otherwise a digest of
// author, room, Date and body.
func emailSource(member, room string, msg *mailparse.Message) (string, time.Duration) {
	if msg.MessageID != "" {
		return "email:" + member + ":" + msg.MessageID, 0
	}
	date := ""
	if !msg.Date.IsZero() {
		date = msg.Date.UTC().Format(time.RFC3339)
	}
	h := sha256.New()
	for _, part := range []string{member, room, date, msg.Text} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "email-digest:" + hex.EncodeToString(h.Sum(nil)[:16]), ContentDedupeFor
}
