package threads

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// TranscriptRequest is a member's request, by email, for a room's
// transcript: inbound queues it, the delivery worker renders and mails it
// (inbound knows nothing of outbound).
type TranscriptRequest struct {
	Room   string `json:"room"`
	Member string `json:"member"`
	// To is the address to send it to (the one the request came from).
	To string `json:"to"`
	// Since, when set, starts the transcript; else the whole room.
	Since time.Time `json:"since,omitempty"`
	// InReplyTo is the Message-ID (no angle brackets) of the request.
	InReplyTo string `json:"in_reply_to,omitempty"`
	// Asked is when the request arrived.
	Asked time.Time `json:"asked"`

	id string // stream entry, set when claimed
}

// transcriptEvery is the rate limit: one transcript of a room per member
// in this time.
const transcriptEvery = 10 * time.Minute

const transcriptGroup = "transcribers"

// QueueTranscript queues r unless the member asked for the same room
// within transcriptEvery. It reports whether it was queued.
func (s *Queue) QueueTranscript(ctx context.Context, r TranscriptRequest) (bool, error) {
	if err := ValidID("room", r.Room); err != nil {
		return false, err
	}
	if err := ValidID("user", r.Member); err != nil {
		return false, err
	}
	to, err := NormalizeEmail(r.To)
	if err != nil {
		return false, err
	}
	r.To = to
	if r.Asked.IsZero() {
		r.Asked = s.now().UTC()
	}
	data, _ := json.Marshal(r)
	sum := sha256.Sum256([]byte(r.Member + "\x00" + r.Room))
	marker := s.k.transcriptSent(hex.EncodeToString(sum[:16]))
	queued, err := scriptQueueNotice.Run(ctx, s.rdb, []string{marker, s.k.transcripts()}, int(transcriptEvery/time.Second), data, 1).Int()
	if err != nil {
		return false, fmt.Errorf("queue transcript of %s for %s: %w", r.Room, r.Member, err)
	}
	return queued == 1, nil
}

// ClaimTranscripts takes up to count queued requests for consumer, first
// those another consumer took more than minIdle ago and never settled.
func (s *Queue) ClaimTranscripts(ctx context.Context, consumer string, count int, minIdle time.Duration) ([]TranscriptRequest, error) {
	out, err := claimJSON(ctx, s.base, s.k.transcripts(), transcriptGroup, consumer, count, minIdle, func(r *TranscriptRequest, id string) { r.id = id })
	if err != nil {
		return nil, fmt.Errorf("claim transcript requests: %w", err)
	}
	return out, nil
}

// AckTranscript settles a request: sent, or given up.
func (s *Queue) AckTranscript(ctx context.Context, r TranscriptRequest) error {
	if r.id == "" {
		return invalid("transcript request for %s was not claimed", r.Member)
	}
	if err := s.settleStream(ctx, s.k.transcripts(), transcriptGroup, r.id); err != nil {
		return fmt.Errorf("settle transcript request of %s: %w", r.Member, err)
	}
	return nil
}
