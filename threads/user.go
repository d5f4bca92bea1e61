package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// User is a person (or a bot) who can be a member of rooms.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Emails are the member's addresses, lower-cased; the first is where
	// parley writes. Each address belongs to one user.
	Emails []string `json:"emails,omitempty"`
	// Phone is an E.164 number (+15550001111), or empty.
	Phone string `json:"phone,omitempty"`
	// PhoneVerified: the number is known to reach this member. SMS goes only
	// to verified numbers. A number an admin enters is taken as verified.
	PhoneVerified bool `json:"phone_verified,omitempty"`
	// TimeZone is an IANA zone name (Europe/Berlin); UTC when empty.
	TimeZone string `json:"tz,omitempty"`
	Prefs    Prefs  `json:"prefs"`
	// EmailFailing: mail to the member bounces; routing prefers SMS.
	EmailFailing bool `json:"email_failing,omitempty"`
	// EmailRetryAt: when a failing address is tried again; set while the
	// address is failing or on probation (tried again, not yet delivered).
	EmailRetryAt time.Time `json:"email_retry_at,omitzero"`
	// SMSOptOut: the member texted STOP; no SMS until START.
	SMSOptOut bool `json:"sms_opt_out,omitempty"`
	// PhoneFailing: texts to the number fail; routing prefers email.
	PhoneFailing bool `json:"phone_failing,omitempty"`
	// Role is what the user may do: member (the default) or admin.
	Role Role `json:"role,omitempty"`
	// Disabled: the user can no longer sign in, and nothing is delivered
	// to them. Their lines stay in the rooms' logs.
	Disabled bool `json:"disabled,omitempty"`
	// Profile is what colleagues can read and search.
	Profile Profile `json:"profile,omitempty"`
	// Bot: the user is a program, not a person. Away auto-replies never
	// answer a bot's lines (RFC 3834: no automatic answer to automatic mail).
	Bot bool `json:"bot,omitempty"`
	// TokenGen is the generation of the member's reply, digest and
	// unsubscribe tokens: raising it (RotateTokens, disabling the user)
	// invalidates every address made before.
	TokenGen int       `json:"token_gen,omitempty"`
	Created  time.Time `json:"created"`
}

// Role is what a user may do.
type Role string

// Roles.
const (
	// RoleMember chats in their rooms and manages their own profile.
	RoleMember Role = "member"
	// RoleAdmin also manages users, rooms and the organisation's settings.
	RoleAdmin Role = "admin"
)

// Profile is the part of a user that colleagues read and search, besides
// the name, phone and time zone the User holds.
type Profile struct {
	Title     string   `json:"title,omitempty"`
	Team      string   `json:"team,omitempty"`
	Interests []string `json:"interests,omitempty"`
	// Fields are the organisation's own profile fields, by field name.
	Fields map[string]string `json:"fields,omitempty"`
}

// DigestFrequency says how often a member wants a digest of what they missed.
type DigestFrequency string

// Digest frequencies.
const (
	DigestOff    DigestFrequency = "off"
	DigestDaily  DigestFrequency = "daily"
	DigestWeekly DigestFrequency = "weekly"
)

// Prefs are a member's delivery preferences.
type Prefs struct {
	// Channels overrides the default channel for an availability state, for
	// example {"away": "sms"}. Only away and offline take a preference
	// (online members read live; busy holds everything for the digest), and
	// a preference is refused when it is set unless its channel works then:
	// sms needs a verified phone, email an address (checkChannelPrefs). A
	// channel that stops working later (a bounce, STOP) falls back to the
	// defaults until it works again.
	Channels map[State]Channel `json:"channels,omitempty"`
	// Digest frequency; daily when empty.
	Digest DigestFrequency `json:"digest,omitempty"`
	// DigestHour is the hour of day (0-23, the member's time zone) the digest goes out.
	DigestHour int `json:"digest_hour,omitempty"`
	// Quiet, when set, is a daily window in which texts (or everything,
	// by its Mode) are held for the digest; urgent lines go through.
	Quiet *QuietHours `json:"quiet,omitempty"`
	// AutoReply is "on" or "off": whether the text of an away, busy or
	// offline status is sent as an auto-reply. Empty means on.
	AutoReply string `json:"auto_reply,omitempty"`
	// Escalate is "off", or how long an unseen, unanswered line that needs
	// the member waits before it goes out again on the next channel (a Go
	// duration, 1m to 24h); empty means the server's PARLEY_ESCALATE_AFTER.
	Escalate string `json:"escalate,omitempty"`
	// AttachMax is the largest file (bytes) that comes attached to the
	// member's emails; larger files come as links. 0: links only; nil:
	// the deployment's PARLEY_ATTACH_MAX.
	AttachMax *int64 `json:"attach_max,omitempty"`
	// MMS is "on" or "off": whether images come to the member's phone as
	// picture messages (where Twilio is set up) rather than as links.
	// Empty means on.
	MMS string `json:"mms,omitempty"`
}

// MaxAttachMax is the largest AttachMax a member may set (25 MB, what
// common mail services take).
const MaxAttachMax = 25 << 20

// AttachLimit is the largest file attached to the member's emails, given
// the deployment's default.
func (p Prefs) AttachLimit(def int64) int64 {
	if p.AttachMax != nil {
		return *p.AttachMax
	}
	return def
}

// WantsMMS reports whether the member takes images as picture messages.
func (p Prefs) WantsMMS() bool { return p.MMS != "off" }

// Auto-reply preference values.
const (
	AutoReplyOn  = "on"
	AutoReplyOff = "off"
)

// QuietHours is a daily window, in the member's time zone, in which parley
// does not text the member. From and To are "HH:MM"; a window may cross
// midnight.
type QuietHours struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Mode says what happens to lines meanwhile; QuietHoldSMS when empty.
	Mode QuietMode `json:"mode,omitempty"`
}

// QuietMode is what quiet hours hold.
type QuietMode string

// Quiet modes.
const (
	// QuietHoldSMS: texts wait for the digest; email goes out as usual.
	QuietHoldSMS QuietMode = "hold-sms"
	// QuietSMSToEmail: what would be texted is emailed instead (held when
	// there is no working address).
	QuietSMSToEmail QuietMode = "email"
	// QuietHoldAll: nothing is pushed; everything waits for the digest.
	QuietHoldAll QuietMode = "hold-all"
)

// Active reports whether t falls inside the window in loc.
func (q QuietHours) Active(t time.Time, loc *time.Location) bool {
	from, err1 := clockMinutes(q.From)
	to, err2 := clockMinutes(q.To)
	if err1 != nil || err2 != nil || from == to {
		return false
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, invalid("time of day %q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Location returns the member's time zone, UTC when unset or unknown.
func (u User) Location() *time.Location {
	if u.TimeZone == "" {
		return time.UTC
	}
	loc, err := LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// locations caches time zones by name: time.LoadLocation reads the zone
// file on every call, and a zone is needed for every email composed.
var locations sync.Map // name → *time.Location

// LoadLocation is time.LoadLocation with a cache of the zones found.
func LoadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

// Email returns the address parley writes to, or "".
func (u User) Email() string {
	if len(u.Emails) == 0 {
		return ""
	}
	return u.Emails[0]
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidID checks a user or room id: 1-64 of a-z 0-9 . _ -, starting with a letter or digit.
func ValidID(kind, id string) error {
	if !isID(id) {
		return invalid("%s id %q must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", kind, id)
	}
	return nil
}

// isID reports whether id is 1-64 of a-z 0-9 . _ -, the first a letter
// or digit (every post checks two: by hand, not by regexp).
func isID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ValidPhone checks an E.164 number: '+', country code, 7 to 15 digits in all.
func ValidPhone(phone string) error {
	if !phonePattern.MatchString(phone) {
		return invalid("phone %q is not in E.164 form (for example +15550001111)", phone)
	}
	return nil
}

// NormalizeEmail checks a bare address and lower-cases it.
func NormalizeEmail(addr string) (string, error) {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != strings.TrimSpace(addr) || len(addr) > 254 {
		return "", invalid("email %q is not a plain address like bob@example.org", addr)
	}
	return strings.ToLower(a.Address), nil
}

// validName checks a display name: 1-100 characters, no control characters.
func validName(kind, name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("%s name is empty", kind)
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 {
		return invalid("%s name must be valid text of at most 100 characters", kind)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return invalid("%s name holds a control character", kind)
		}
	}
	return nil
}

// normalize checks every field and returns the user as it will be stored.
func (u User) normalize() (User, error) {
	if err := ValidID("user", u.ID); err != nil {
		return u, err
	}
	u.Name = strings.TrimSpace(u.Name)
	if err := validName("user", u.Name); err != nil {
		return u, err
	}
	seen := map[string]bool{}
	emails := make([]string, 0, len(u.Emails))
	for _, e := range u.Emails {
		n, err := NormalizeEmail(e)
		if err != nil {
			return u, err
		}
		if !seen[n] {
			seen[n] = true
			emails = append(emails, n)
		}
	}
	u.Emails = emails
	if u.Phone != "" {
		if err := ValidPhone(u.Phone); err != nil {
			return u, err
		}
	}
	if u.TimeZone != "" {
		if _, err := LoadLocation(u.TimeZone); err != nil {
			return u, invalid("time zone %q is unknown (use an IANA name like Europe/Berlin)", u.TimeZone)
		}
	}
	switch u.Role {
	case "":
		u.Role = RoleMember
	case RoleMember, RoleAdmin:
	default:
		return u, invalid("role %q is not member or admin", u.Role)
	}
	var err error
	if u.Profile, err = u.Profile.normalize(); err != nil {
		return u, err
	}
	for a, c := range u.Prefs.Channels {
		if !a.valid() {
			return u, invalid("preference for unknown availability %q", a)
		}
		if !c.valid() {
			return u, invalid("preference names unknown channel %q", c)
		}
	}
	switch u.Prefs.Digest {
	case "", DigestOff, DigestDaily, DigestWeekly:
	default:
		return u, invalid("digest frequency %q is not off, daily or weekly", u.Prefs.Digest)
	}
	if u.Prefs.DigestHour < 0 || u.Prefs.DigestHour > 23 {
		return u, invalid("digest hour %d is not between 0 and 23", u.Prefs.DigestHour)
	}
	if q := u.Prefs.Quiet; q != nil {
		if _, err := clockMinutes(q.From); err != nil {
			return u, err
		}
		if _, err := clockMinutes(q.To); err != nil {
			return u, err
		}
		switch q.Mode {
		case "", QuietHoldSMS, QuietSMSToEmail, QuietHoldAll:
		default:
			return u, invalid("quiet hours mode %q is not hold-sms, email or hold-all", q.Mode)
		}
	}
	switch u.Prefs.AutoReply {
	case "", AutoReplyOn, AutoReplyOff:
	default:
		return u, invalid("auto-reply preference %q is not on or off", u.Prefs.AutoReply)
	}
	if err := checkEscalatePref(u.Prefs.Escalate); err != nil {
		return u, err
	}
	if a := u.Prefs.AttachMax; a != nil && (*a < 0 || *a > MaxAttachMax) {
		return u, invalid("attachment limit %d is not between 0 (links only) and %d bytes", *a, MaxAttachMax)
	}
	switch u.Prefs.MMS {
	case "", "on", "off":
	default:
		return u, invalid("picture message preference %q is not on or off", u.Prefs.MMS)
	}
	return u, nil
}

// checkChannelPrefs refuses a channel preference that would not be
// honoured: for online (always live) or busy (always held), or for a
// channel the member cannot be reached on now.
func checkChannelPrefs(u User) error {
	for _, st := range []State{StateOnline, StateAway, StateBusy, StateOffline} {
		c, ok := u.Prefs.Channels[st]
		switch {
		case !ok:
		case st == StateOnline && c != Live:
			return invalid("online=%s: an online member reads lines live; set a channel for away or offline instead", c)
		case st == StateBusy && c != Hold:
			return invalid("busy=%s: busy holds every line for the digest; set away instead to be reached", c)
		case c == SMS && (u.Phone == "" || !u.PhoneVerified):
			return invalid("%s=sms needs a verified phone; %s has none", st, u.ID)
		case c == Email && u.Email() == "":
			return invalid("%s=email needs an email address; %s has none", st, u.ID)
		}
	}
	return nil
}

// AddUser stores a new user. The id, each email address and the phone must
// be free. Nothing is written when anything is wrong.
func (s *Directory) AddUser(ctx context.Context, u User) (User, error) {
	u, err := u.normalize()
	if err != nil {
		return u, err
	}
	if err := checkChannelPrefs(u); err != nil {
		return u, err
	}
	if u.Created.IsZero() {
		u.Created = s.now().UTC()
	}
	if err := s.writeUser(ctx, nil, "", u); err != nil {
		return u, fmt.Errorf("add user %s: %w", u.ID, err)
	}
	if err := s.noteName(ctx, u.ID, "", u.Name); err != nil {
		return u, fmt.Errorf("add user %s: note the name: %w", u.ID, err)
	}
	return u, nil
}

// UpdateUser reads a user, lets change modify it and writes it back, retrying
// when someone else changed the user meanwhile. The id cannot change.
func (s *Directory) UpdateUser(ctx context.Context, id string, change func(*User) error) (User, error) {
	for attempt := 0; attempt < 10; attempt++ {
		old, raw, err := s.userRaw(ctx, id)
		if err != nil {
			return User{}, err
		}
		u := old.clone() // change must not touch old: writeUser compares them
		if err := change(&u); err != nil {
			return old, err
		}
		u.ID = old.ID
		if u, err = u.normalize(); err != nil {
			return old, err
		}
		// Checked when they change, so that an older preference does not
		// block an unrelated change (a new phone, unverified for now).
		if !maps.Equal(old.Prefs.Channels, u.Prefs.Channels) {
			if err := checkChannelPrefs(u); err != nil {
				return old, err
			}
		}
		u.forgetFailures(old)
		err = s.writeUser(ctx, &old, raw, u)
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return old, fmt.Errorf("update user %s: %w", id, err)
		}
		if u.Name != old.Name {
			if err := s.noteName(ctx, u.ID, old.Name, u.Name); err != nil {
				return u, fmt.Errorf("update user %s: note the name: %w", id, err)
			}
		}
		return u, nil
	}
	return User{}, fmt.Errorf("update user %s: %w", id, errConflict)
}

// Honours reports whether a session or API token of generation gen still
// signs u in: u is enabled and has not been disabled, nor had their tokens
// rotated, since the credential was made.
func (u User) Honours(gen int) bool {
	return !u.Disabled && gen == u.TokenGen
}

// forgetFailures clears what parley learnt of addresses u no longer has:
// a new phone has not failed nor opted out of texts, and a new set of email
// addresses has not bounced. Every door that changes a user goes through
// UpdateUser, so the CLI, the web page and the API agree.
func (u *User) forgetFailures(old User) {
	if u.Phone != old.Phone {
		u.PhoneFailing, u.SMSOptOut = false, false
	}
	if !slices.Equal(u.Emails, old.Emails) {
		u.EmailFailing, u.EmailRetryAt = false, time.Time{}
	}
}

var errConflict = errors.New("changed concurrently, try again")

// writeUser stores u with its email, phone and people-search index entries
// in one script, checking new addresses against the allowed domains and
// profile fields against the admin's definitions. With old set, it replaces
// old, whose stored JSON is oldData (compare-and-swap).
func (s *Directory) writeUser(ctx context.Context, old *User, oldData string, u User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	var oldEmails []string
	oldPhone := ""
	if old != nil {
		oldEmails, oldPhone = old.Emails, old.Phone
	}
	// The record is sealed whole under the data key (seal.go); its search
	// index entries are written plain beside it.
	args := []any{u.ID, s.seal(string(data)), oldData, u.Phone, oldPhone, len(u.Emails)}
	for _, e := range u.Emails {
		args = append(args, e)
	}
	args = append(args, len(oldEmails))
	for _, e := range oldEmails {
		args = append(args, e)
	}
	keys := []string{s.k.users(), s.k.byEmail(), s.k.byPhone(), s.k.domains(), s.k.fieldDefs(), s.k.fieldHeld()}
	only, err := s.indexedFields(ctx)
	if err != nil {
		return err
	}
	pw := s.profileWriteArgs(old, u, len(keys)+1, only)
	keys = append(keys, pw.keys...)
	args = append(args, pw.args...)
	res, err := scriptWriteUser.Run(ctx, s.rdb, keys, args...).Text()
	switch {
	case err != nil:
		return err
	case res == "exists":
		return ErrExists
	case res == "conflict":
		return errConflict
	case strings.HasPrefix(res, "email "):
		return fmt.Errorf("%w: email %s belongs to another user", ErrExists, res[6:])
	case strings.HasPrefix(res, "phone "):
		return fmt.Errorf("%w: phone %s belongs to another user", ErrExists, res[6:])
	case strings.HasPrefix(res, "domain "):
		return s.domainRefused(ctx, res[7:])
	case strings.HasPrefix(res, "field "):
		return invalid("profile field %q is not defined (an admin defines fields: parley admin fields set)", res[6:])
	}
	return nil
}

// User returns one user.
func (s *Directory) User(ctx context.Context, id string) (User, error) {
	u, _, err := s.userRaw(ctx, id)
	return u, err
}

// userRaw returns a user and its stored JSON.
func (s *Directory) userRaw(ctx context.Context, id string) (User, string, error) {
	var get *redis.StringCmd
	_, err := s.batch.pipelined(ctx, func(p redis.Pipeliner) { get = p.HGet(ctx, s.k.users(), id) })
	data := ""
	if err == nil {
		data = get.Val()
	}
	if errors.Is(err, redis.Nil) {
		return User{}, "", fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("get user %s: %w", id, err)
	}
	u, err := s.decodeUser(id, data)
	return u, data, err
}

// decodeUser decodes a user record as stored (see usercache.go for the
// Store's cached way to it).
func decodeUser(id, data string) (User, error) {
	var u User
	if err := json.Unmarshal([]byte(data), &u); err != nil {
		return User{}, fmt.Errorf("decode user %s: %w", id, err)
	}
	return u, nil
}

// usersByID returns the users among ids that exist, in one round trip.
func (s *Directory) usersByID(ctx context.Context, ids []string) (map[string]User, error) {
	out := make(map[string]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.k.users(), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	for i, v := range vals {
		if str, ok := v.(string); ok {
			u, err := s.decodeUser(ids[i], str)
			if err != nil {
				return nil, err
			}
			out[ids[i]] = u
		}
	}
	return out, nil
}

// Users returns every user, ordered by id.
func (s *Directory) Users(ctx context.Context) ([]User, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.users()).Result()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]User, 0, len(all))
	for id, data := range all {
		u, err := s.decodeUser(id, data)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// UserByEmail finds the user who owns an address (any case).
func (s *Directory) UserByEmail(ctx context.Context, addr string) (User, error) {
	return s.userByIndex(ctx, s.k.byEmail(), strings.ToLower(strings.TrimSpace(addr)), "email")
}

// UserByPhone finds the user whose number this is.
func (s *Directory) UserByPhone(ctx context.Context, phone string) (User, error) {
	return s.userByIndex(ctx, s.k.byPhone(), phone, "phone")
}

func (s *Directory) userByIndex(ctx context.Context, key, value, kind string) (User, error) {
	id, err := s.rdb.HGet(ctx, key, value).Result()
	if errors.Is(err, redis.Nil) {
		return User{}, fmt.Errorf("user with %s %s: %w", kind, value, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("find user by %s: %w", kind, err)
	}
	return s.dir.User(ctx, id)
}
