package threads

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// What the SMS channel and the SMS webhook remember, per member phone:
// which room each parley number of a pool is bound to, which room the
// member last got a text from on each number, recent delivery failures,
// rate limits of automatic replies and the inbound MessageSids already
// handled; per text sent, its member, room and delivery status; per member
// and day, the segments texted.

// Phone failure policy: texts a handset or carrier did not take (Twilio
// 30003–30008) mark the member's phone as failing once PhoneFailures of
// them happened within PhoneFailureWindow with no delivered text in
// between (a delivered text clears the count). A number Twilio calls
// invalid or not textable (21211, 21614, 21612) is marked at once.
const (
	PhoneFailures      = 3
	PhoneFailureWindow = 7 * 24 * time.Hour
)

// smsKeep is how long a sent text's record, and an inbound MessageSid, are
// kept: status callbacks and webhook retries come within hours.
const smsKeep = 7 * 24 * time.Hour

// SMSReplyLimit is the most automatic replies (command answers, "which
// room?", "unknown number") one number gets per SMSReplyPeriod, so that a
// loop with another robot cannot run away.
const (
	SMSReplyLimit  = 10
	SMSReplyPeriod = time.Hour
)

// anyNumber stands for "whichever number Twilio chose" (a messaging
// service) in the last-room record.
const anyNumber = "*"

var sidPattern = regexp.MustCompile(`^[A-Za-z0-9]{2,64}$`)

// ValidSID checks a Twilio SID (message, account): letters and digits.
func ValidSID(sid string) error {
	if !sidPattern.MatchString(sid) {
		return invalid("SID %q is not 2-64 letters and digits", sid)
	}
	return nil
}

// checkPhones checks that every argument is an E.164 number: phones are
// part of keys.
func checkPhones(phones ...string) error {
	for _, p := range phones {
		if err := ValidPhone(p); err != nil {
			return err
		}
	}
	return nil
}

// BindSMSNumber returns the pool number bound to the pair (member phone,
// room), binding a free one when the room has none yet: replies to that
// number then go to that room without a prefix. It returns "" when every
// pool number is bound to another room of this phone. A binding to a
// number no longer in the pool is dropped.
func (s *SMSState) BindSMSNumber(ctx context.Context, phone, room string, pool []string) (string, error) {
	if err := checkPhones(append([]string{phone}, pool...)...); err != nil {
		return "", err
	}
	if err := ValidID("room", room); err != nil {
		return "", err
	}
	args := []any{room}
	for _, n := range pool {
		args = append(args, n)
	}
	n, err := scriptBindNumber.Run(ctx, s.rdb, []string{s.k.smsBind(phone), s.k.smsBound(phone)}, args...).Text()
	if err != nil {
		return "", fmt.Errorf("bind a number for %s to %s: %w", phone, room, err)
	}
	return n, nil
}

// SMSBoundRoom returns the room bound to (member phone, parley number), or "".
func (s *SMSState) SMSBoundRoom(ctx context.Context, phone, number string) (string, error) {
	if err := checkPhones(phone, number); err != nil {
		return "", err
	}
	room, err := s.rdb.HGet(ctx, s.k.smsBind(phone), number).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("room bound to %s on %s: %w", phone, number, err)
	}
	return room, nil
}

// NoteSMSSent remembers that phone last got a text from room on number
// ("" when Twilio picks the number, a messaging service).
func (s *SMSState) NoteSMSSent(ctx context.Context, phone, number, room string) error {
	if number == "" {
		number = anyNumber
	} else if err := checkPhones(number); err != nil {
		return err
	}
	if err := checkPhones(phone); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.k.smsLast(phone), number, room).Err(); err != nil {
		return fmt.Errorf("note text to %s: %w", phone, err)
	}
	return nil
}

// SMSLastRoom returns the room whose line phone last got by text on
// number, else on a number Twilio picked; "" when none.
func (s *SMSState) SMSLastRoom(ctx context.Context, phone, number string) (string, error) {
	if err := checkPhones(phone, number); err != nil {
		return "", err
	}
	v, err := s.rdb.HMGet(ctx, s.k.smsLast(phone), number, anyNumber).Result()
	if err != nil {
		return "", fmt.Errorf("last room texted to %s: %w", phone, err)
	}
	for _, r := range v {
		if str, ok := r.(string); ok && str != "" {
			return str, nil
		}
	}
	return "", nil
}

// ReserveSMSSegments takes n segments from member u's daily budget of max
// (the day in u's time zone) and reports whether they fit, and how many
// were used today before. Nothing is taken when they do not fit.
func (s *SMSState) ReserveSMSSegments(ctx context.Context, u User, n, max int) (ok bool, used int, err error) {
	key := s.k.smsDay(u.ID, s.now().In(u.Location()).Format("2006-01-02"))
	res, err := scriptReserveSegments.Run(ctx, s.rdb, []string{key}, n, max, int((48 * time.Hour).Seconds())).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("daily text budget of %s: %w", u.ID, err)
	}
	return res[0] == 1, int(res[1]), nil
}

// RefundSMSSegments gives back n segments reserved for a text that was
// not sent.
func (s *SMSState) RefundSMSSegments(ctx context.Context, u User, n int) error {
	key := s.k.smsDay(u.ID, s.now().In(u.Location()).Format("2006-01-02"))
	if err := s.rdb.DecrBy(ctx, key, int64(n)).Err(); err != nil {
		return fmt.Errorf("refund text budget of %s: %w", u.ID, err)
	}
	return nil
}

// SMSMessage is a text parley sent, kept for its status callbacks.
type SMSMessage struct {
	SID    string `json:"sid"`
	Member string `json:"member,omitempty"`
	Room   string `json:"room,omitempty"`
	// Lines are the ids of the room's lines the text carried.
	Lines []string `json:"lines,omitempty"`
	// To is the member's phone; From the parley number ("" when Twilio chose).
	To       string `json:"to,omitempty"`
	From     string `json:"from,omitempty"`
	Segments int    `json:"segments,omitempty"`
	// Status is Twilio's last word (queued, sent, delivered, undelivered,
	// failed); ErrorCode its error code, 0 if none.
	Status    string    `json:"status"`
	ErrorCode int       `json:"error_code,omitempty"`
	Sent      time.Time `json:"sent,omitempty"`
	Updated   time.Time `json:"updated,omitempty"`
}

// RecordSMS keeps what a text carried, by its SID, for a week. A status
// that arrived first is kept.
func (s *SMSState) RecordSMS(ctx context.Context, m SMSMessage) error {
	if err := ValidSID(m.SID); err != nil {
		return err
	}
	key := s.k.smsMessage(m.SID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "member", m.Member, "room", m.Room, "lines", strings.Join(m.Lines, ","), "to", m.To,
			"from", m.From, "segments", m.Segments, "sent", s.now().UnixMilli())
		p.HSetNX(ctx, key, "status", "queued")
		p.Expire(ctx, key, smsKeep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record text %s: %w", m.SID, err)
	}
	return nil
}

// SetSMSStatus records a status callback for a text and returns the text's
// record (only SID, status and error when parley has no record of it). A
// final status (delivered, undelivered, failed, read) is not replaced by an
// earlier one arriving late.
func (s *SMSState) SetSMSStatus(ctx context.Context, sid, status string, code int) (SMSMessage, error) {
	if err := ValidSID(sid); err != nil {
		return SMSMessage{}, err
	}
	res, err := scriptSMSStatus.Run(ctx, s.rdb, []string{s.k.smsMessage(sid)}, strings.ToLower(status), code,
		s.now().UnixMilli(), int(smsKeep/time.Second)).StringSlice()
	if err != nil {
		return SMSMessage{}, fmt.Errorf("status of text %s: %w", sid, err)
	}
	return decodeSMSMessage(sid, pairs(res)), nil
}

// SMSMessageBySID returns a sent text's record.
func (s *SMSState) SMSMessageBySID(ctx context.Context, sid string) (SMSMessage, error) {
	if err := ValidSID(sid); err != nil {
		return SMSMessage{}, err
	}
	h, err := s.rdb.HGetAll(ctx, s.k.smsMessage(sid)).Result()
	if err != nil {
		return SMSMessage{}, fmt.Errorf("text %s: %w", sid, err)
	}
	if len(h) == 0 {
		return SMSMessage{}, fmt.Errorf("text %s: %w", sid, ErrNotFound)
	}
	m := make(map[string]any, len(h))
	for k, v := range h {
		m[k] = v
	}
	return decodeSMSMessage(sid, m), nil
}

func decodeSMSMessage(sid string, h map[string]any) SMSMessage {
	get := func(k string) string { v, _ := h[k].(string); return v }
	m := SMSMessage{SID: sid, Member: get("member"), Room: get("room"), To: get("to"), From: get("from"), Status: get("status")}
	if l := get("lines"); l != "" {
		m.Lines = strings.Split(l, ",")
	}
	m.Segments, _ = strconv.Atoi(get("segments"))
	m.ErrorCode, _ = strconv.Atoi(get("error"))
	if ms, err := strconv.ParseInt(get("sent"), 10, 64); err == nil {
		m.Sent = time.UnixMilli(ms).UTC()
	}
	if ms, err := strconv.ParseInt(get("updated"), 10, 64); err == nil {
		m.Updated = time.UnixMilli(ms).UTC()
	}
	return m
}

// PhoneDelivered records that a text reached phone: the failure count
// starts over.
func (s *SMSState) PhoneDelivered(ctx context.Context, phone string) error {
	if err := checkPhones(phone); err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, s.k.smsFail(phone)).Err(); err != nil {
		return fmt.Errorf("clear failures of %s: %w", phone, err)
	}
	return nil
}

// PhoneFailed records that text sid did not reach member's phone and
// applies the failure policy (PhoneFailures within PhoneFailureWindow, or
// at once when invalid): it reports whether the phone is now marked as
// failing, so that routing prefers email. The same SID counts once.
func (s *SMSState) PhoneFailed(ctx context.Context, member, phone, sid string, invalidNumber bool) (bool, error) {
	if err := checkPhones(phone); err != nil {
		return false, err
	}
	if err := ValidSID(sid); err != nil {
		return false, err
	}
	if !invalidNumber {
		now := s.now()
		n, err := scriptPhoneFailure.Run(ctx, s.rdb, []string{s.k.smsFail(phone)}, now.UnixMilli(), sid,
			now.Add(-PhoneFailureWindow).UnixMilli(), int(PhoneFailureWindow/time.Second)).Int()
		if err != nil {
			return false, fmt.Errorf("count failures of %s: %w", phone, err)
		}
		if n < PhoneFailures {
			return false, nil
		}
	}
	marked := false
	_, err := s.dir.UpdateUser(ctx, member, func(u *User) error {
		if u.Phone == phone { // a number changed meanwhile is not blamed
			marked = true
			u.PhoneFailing = true
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return marked, nil
}

// SetSMSOptOut turns texts off (STOP, error 21610) or on again (START) for
// a member, across all parley numbers.
func (s *SMSState) SetSMSOptOut(ctx context.Context, member string, out bool) (User, error) {
	return s.dir.UpdateUser(ctx, member, func(u *User) error { u.SMSOptOut = out; return nil })
}

// SMSOnceADay reports whether an automatic reply of kind may go to phone
// now, and if so records it: one of a kind a day per number.
func (s *SMSState) SMSOnceADay(ctx context.Context, phone, kind string) (bool, error) {
	if err := checkPhones(phone); err != nil {
		return false, err
	}
	ok, err := s.rdb.SetNX(ctx, s.k.smsOnce(phone, kind), "1", 24*time.Hour).Result()
	if err != nil {
		return false, fmt.Errorf("daily %s reply to %s: %w", kind, phone, err)
	}
	return ok, nil
}

// AllowSMSReply counts an automatic reply to phone and reports whether it
// is within SMSReplyLimit per SMSReplyPeriod.
func (s *SMSState) AllowSMSReply(ctx context.Context, phone string) (bool, error) {
	if err := checkPhones(phone); err != nil {
		return false, err
	}
	n, err := scriptCount.Run(ctx, s.rdb, []string{s.k.smsReplies(phone)}, int(SMSReplyPeriod/time.Second)).Int()
	if err != nil {
		return false, fmt.Errorf("count replies to %s: %w", phone, err)
	}
	return n <= SMSReplyLimit, nil
}

// SMSInboundSeen reports whether an inbound text with this MessageSid from
// phone was handled already.
func (s *SMSState) SMSInboundSeen(ctx context.Context, phone, sid string) (bool, error) {
	if err := checkPhones(phone); err != nil {
		return false, err
	}
	if err := ValidSID(sid); err != nil {
		return false, err
	}
	n, err := s.rdb.Exists(ctx, s.k.smsIn(phone, sid)).Result()
	if err != nil {
		return false, fmt.Errorf("inbound text %s: %w", sid, err)
	}
	return n == 1, nil
}

// MarkSMSInbound records that an inbound text was handled, so that
// Twilio's retry of it is ignored.
func (s *SMSState) MarkSMSInbound(ctx context.Context, phone, sid string) error {
	if err := checkPhones(phone); err != nil {
		return err
	}
	if err := ValidSID(sid); err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.k.smsIn(phone, sid), "1", smsKeep).Err(); err != nil {
		return fmt.Errorf("mark inbound text %s: %w", sid, err)
	}
	return nil
}
