package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Limits on profiles.
const (
	// MaxInterests is the most interests one profile lists.
	MaxInterests = 20
	// MaxInterestLen is the longest interest, in characters.
	MaxInterestLen = 40
	// MaxProfileText is the longest title or team, in characters.
	MaxProfileText = 100
	// MaxFieldValue is the longest value of an admin-defined field, in characters.
	MaxFieldValue = 200
	// MaxProfileFields is the most fields the admin can define.
	MaxProfileFields = 30
	maxFieldLabel    = 60
)

// ErrInUse: the thing cannot be removed while data still refers to it (a
// profile field that users hold values of).
var ErrInUse = errors.New("still in use")

var fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ValidFieldName checks a profile field name: 1-32 of a-z 0-9 _, starting with a letter.
func ValidFieldName(name string) error {
	if !fieldNamePattern.MatchString(name) {
		return invalid("profile field name %q must be 1-32 characters of a-z, 0-9 or '_', starting with a letter", name)
	}
	return nil
}

// NormalizeInterest returns an interest as it is stored and searched:
// trimmed, lower-case, inner spaces collapsed to one. It may hold letters,
// digits, spaces and + # . - _ / & ' (so "c++", "c#" and "machine learning"
// work), at most MaxInterestLen characters.
func NormalizeInterest(s string) (string, error) {
	n := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if n == "" {
		return "", invalid("interest is empty")
	}
	if !utf8.ValidString(n) || utf8.RuneCountInString(n) > MaxInterestLen {
		return "", invalid("interest %q must be valid text of at most %d characters", s, MaxInterestLen)
	}
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && !strings.ContainsRune(" +#.-_/&'", r) {
			return "", invalid("interest %q holds %q; use letters, digits, spaces and + # . - _ / & '", s, r)
		}
	}
	return n, nil
}

// clone returns a copy of u that shares no slice, map or pointer with it.
func (u User) clone() User {
	c := u
	c.Emails = append([]string(nil), u.Emails...)
	c.Profile.Interests = append([]string(nil), u.Profile.Interests...)
	c.Profile.Fields = maps.Clone(u.Profile.Fields)
	c.Prefs.Channels = maps.Clone(u.Prefs.Channels)
	if u.Prefs.Quiet != nil {
		q := *u.Prefs.Quiet
		c.Prefs.Quiet = &q
	}
	if u.Prefs.AttachMax != nil {
		a := *u.Prefs.AttachMax
		c.Prefs.AttachMax = &a
	}
	return c
}

// profileText checks a title, team or field value: trimmed, valid text
// without control characters, at most max characters; empty is fine.
func profileText(what, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return s, invalid("%s must be valid text of at most %d characters", what, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return s, invalid("%s holds a control character", what)
		}
	}
	return s, nil
}

// normalize checks a profile and returns it as it will be stored. Whether
// each field is one the admin defined is checked by the write itself, in
// Redis, so that a field cannot be removed while someone writes a value.
func (p Profile) normalize() (Profile, error) {
	var err error
	if p.Title, err = profileText("title", p.Title, MaxProfileText); err != nil {
		return p, err
	}
	if p.Team, err = profileText("team", p.Team, MaxProfileText); err != nil {
		return p, err
	}
	var interests []string
	for _, in := range p.Interests {
		if strings.TrimSpace(in) == "" {
			continue
		}
		n, err := NormalizeInterest(in)
		if err != nil {
			return p, err
		}
		if !contains(interests, n) {
			interests = append(interests, n)
		}
	}
	if len(interests) > MaxInterests {
		return p, invalid("a profile lists at most %d interests, not %d", MaxInterests, len(interests))
	}
	p.Interests = interests
	var fields map[string]string
	for name, v := range p.Fields {
		if err := ValidFieldName(name); err != nil {
			return p, err
		}
		v, err := profileText("profile field "+name, v, MaxFieldValue)
		if err != nil {
			return p, err
		}
		if v == "" {
			continue // an empty value removes the field
		}
		if fields == nil {
			fields = map[string]string{}
		}
		fields[name] = v
	}
	p.Fields = fields
	return p, nil
}

// ProfileField is one field of the organisation's profile standard: a
// profile may hold a value for it, and people search may look at it when
// it is searchable.
type ProfileField struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	Searchable bool   `json:"searchable,omitempty"`
}

// storedField is a field definition as kept in Redis.
type storedField struct {
	Label      string `json:"label"`
	Searchable bool   `json:"searchable,omitempty"`
	Pos        int    `json:"pos"`
}

// ProfileFields returns the fields the admin defined, in their order.
func (s *Directory) ProfileFields(ctx context.Context) ([]ProfileField, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.fieldDefs()).Result()
	if err != nil {
		return nil, fmt.Errorf("read profile fields: %w", err)
	}
	out := make([]ProfileField, 0, len(all))
	pos := map[string]int{}
	for name, data := range all {
		var f storedField
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return nil, fmt.Errorf("decode profile field %s: %w", name, err)
		}
		pos[name] = f.Pos
		out = append(out, ProfileField{Name: name, Label: f.Label, Searchable: f.Searchable})
	}
	sort.Slice(out, func(i, j int) bool { return pos[out[i].Name] < pos[out[j].Name] })
	return out, nil
}

// SetProfileFields replaces the organisation's profile fields with fields,
// in that order. A field can be removed only when no user holds a value for
// it (ErrInUse names the field and how many users do): ClearProfileField
// removes the values first, on purpose, so that no data is lost by
// accident. Changing a label or whether a field is searchable keeps every
// value. The change is audited under actor.
func (s *Directory) SetProfileFields(ctx context.Context, actor string, fields []ProfileField) error {
	if len(fields) > MaxProfileFields {
		return invalid("at most %d profile fields, not %d", MaxProfileFields, len(fields))
	}
	args := []any{len(fields)}
	var names []string
	for i, f := range fields {
		if err := ValidFieldName(f.Name); err != nil {
			return err
		}
		if contains(names, f.Name) {
			return invalid("profile field %s is given twice", f.Name)
		}
		names = append(names, f.Name)
		label := strings.TrimSpace(f.Label)
		if label == "" {
			label = f.Name
		}
		if err := validName("profile field", label); err != nil {
			return err
		}
		if utf8.RuneCountInString(label) > maxFieldLabel {
			return invalid("profile field label %q is longer than %d characters", label, maxFieldLabel)
		}
		data, err := json.Marshal(storedField{Label: label, Searchable: f.Searchable, Pos: i})
		if err != nil {
			return err
		}
		args = append(args, f.Name, string(data))
	}
	res, err := scriptSetFields.Run(ctx, s.rdb, []string{s.k.fieldDefs(), s.k.fieldHeld()}, args...).Text()
	if err != nil {
		return fmt.Errorf("set profile fields: %w", err)
	}
	if strings.HasPrefix(res, "held ") {
		name, n, _ := strings.Cut(res[5:], " ")
		return fmt.Errorf("remove profile field %s: %s users hold a value for it; clear them first (parley admin fields clear %s): %w",
			name, n, name, ErrInUse)
	}
	if s.sealing() {
		// Only searchable fields are indexed (indexedFields): index again.
		if _, err := s.ReindexPeople(ctx); err != nil {
			return err
		}
	}
	return s.auditDone(ctx, AuditEntry{Actor: actor, Action: "fields.set", Target: "profile fields",
		Detail: describeFields(fields)})
}

// indexedFields names the profile fields whose values go to the search
// index: every field (nil) without a data key, so that making a field
// searchable takes effect at once; with one, only the searchable fields,
// so that the values of the others are nowhere in Redis but in the
// sealed user record (seal.go). SetProfileFields then indexes again.
func (s *Directory) indexedFields(ctx context.Context) (map[string]bool, error) {
	if !s.sealing() {
		return nil, nil
	}
	defs, err := s.ProfileFields(ctx)
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, f := range defs {
		if f.Searchable {
			only[f.Name] = true
		}
	}
	return only, nil
}

func describeFields(fields []ProfileField) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Name
		if f.Searchable {
			parts[i] += " (searchable)"
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ClearProfileField removes every user's value of a profile field, so that
// the field can then be removed. It returns how many users lost a value.
// Audited under actor, with their ids.
func (s *Directory) ClearProfileField(ctx context.Context, actor, name string) (int, error) {
	if err := ValidFieldName(name); err != nil {
		return 0, err
	}
	users, err := s.Users(ctx)
	if err != nil {
		return 0, err
	}
	var cleared []string
	for _, u := range users {
		if _, ok := u.Profile.Fields[name]; !ok {
			continue
		}
		_, err := s.UpdateUser(ctx, u.ID, func(u *User) error {
			delete(u.Profile.Fields, name)
			return nil
		})
		if err != nil {
			return len(cleared), fmt.Errorf("clear profile field %s: %w", name, err)
		}
		cleared = append(cleared, u.ID)
	}
	if len(cleared) == 0 {
		return 0, nil
	}
	return len(cleared), s.auditDone(ctx, AuditEntry{Actor: actor, Action: "field.clear", Target: name,
		Detail: strconv.Itoa(len(cleared)) + " users: " + strings.Join(cleared, ", ")})
}

// scriptSetFields replaces the field definitions unless a removed field
// still holds values. KEYS: field defs, field held counts. ARGV: n, then n
// pairs of name and definition JSON.
var scriptSetFields = redis.NewScript(`
local n = tonumber(ARGV[1])
local keep = {}
for i = 1, n do keep[ARGV[2 * i]] = true end
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not keep[name] then
    local held = tonumber(redis.call('HGET', KEYS[2], name) or '0')
    if held > 0 then return 'held ' .. name .. ' ' .. held end
  end
end
redis.call('DEL', KEYS[1])
for i = 1, n do redis.call('HSET', KEYS[1], ARGV[2 * i], ARGV[2 * i + 1]) end
return 'ok'
`)

// indexEntry is one member of one of the people-search indexes.
type indexEntry struct {
	key, member string
	zset        bool
	interest    string // the interest, for an interest set's entry
}

// indexEntries returns the search index entries of u: none when u is
// disabled, so that search never finds them. only, when not nil, names
// the profile fields indexed (indexedFields).
func (s *Directory) indexEntries(u *User, only map[string]bool) []indexEntry {
	if u == nil || u.Disabled {
		return nil
	}
	var out []indexEntry
	for _, in := range u.Profile.Interests {
		out = append(out, indexEntry{key: s.k.interest(in), member: u.ID, interest: in})
	}
	for _, w := range wordStarts(u.Name) {
		out = append(out, indexEntry{key: s.k.names(), member: w + "\x00" + u.ID, zset: true})
	}
	for name, v := range u.Profile.Fields {
		if only != nil && !only[name] {
			continue
		}
		for _, w := range wordStarts(v) {
			out = append(out, indexEntry{key: s.k.fieldValues(name), member: w + "\x00" + u.ID, zset: true})
		}
	}
	return out
}

// wordStarts returns s lower-cased with spaces collapsed, and each of its
// tails that starts a word (after a space, '-', '/', ',' or '.'), so that a
// prefix search finds "Alice Archer" by "ali", "arch" or "alice a".
func wordStarts(s string) []string {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if s == "" {
		return nil
	}
	out := []string{s}
	prevSep := false
	for i, r := range s {
		sep := strings.ContainsRune(" -/,.", r)
		if prevSep && !sep && !contains(out, s[i:]) {
			out = append(out, s[i:])
		}
		prevSep = sep
	}
	return out
}

// profileWrite is what a user write adds to the user script: the checks
// against the organisation's settings and the index changes.
type profileWrite struct {
	keys []string // index keys, KEYS[7...]
	args []any
}

// profileWriteArgs builds the part of the write-user script's arguments
// that checks new addresses against the allowed domains and field names
// against the definitions, counts field holders and moves index entries
// from old to u. Index keys are numbered from firstKey.
func (s *Directory) profileWriteArgs(old *User, u User, firstKey int, only map[string]bool) profileWrite {
	var w profileWrite
	var oldEmails []string
	var oldFields map[string]string
	if old != nil {
		oldEmails, oldFields = old.Emails, old.Profile.Fields
	}
	var fresh []any
	for _, e := range u.Emails {
		if !contains(oldEmails, e) {
			fresh = append(fresh, e)
		}
	}
	w.args = append(w.args, len(fresh))
	w.args = append(w.args, fresh...)
	names := make([]string, 0, len(u.Profile.Fields))
	for name := range u.Profile.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	w.args = append(w.args, len(names))
	for _, n := range names {
		w.args = append(w.args, n)
	}
	var held []any
	for _, n := range names {
		if _, ok := oldFields[n]; !ok {
			held = append(held, n, 1)
		}
	}
	for n := range oldFields {
		if _, ok := u.Profile.Fields[n]; !ok {
			held = append(held, n, -1)
		}
	}
	w.args = append(w.args, len(held)/2)
	w.args = append(w.args, held...)

	before, after := s.indexEntries(old, only), s.indexEntries(&u, only)
	has := func(list []indexEntry, e indexEntry) bool {
		for _, x := range list {
			if x == e {
				return true
			}
		}
		return false
	}
	keyIndex := map[string]int{}
	var ops []any
	op := func(name string, e indexEntry) {
		i, ok := keyIndex[e.key]
		if !ok {
			i = firstKey + len(w.keys)
			keyIndex[e.key] = i
			w.keys = append(w.keys, e.key)
		}
		ops = append(ops, name, i, e.member)
	}
	for _, e := range before {
		if !has(after, e) {
			op(pick(e.zset, "ZREM", "SREM"), e)
		}
	}
	for _, e := range after {
		if !has(before, e) {
			op(pick(e.zset, "ZADD", "SADD"), e)
			if e.interest != "" {
				op("SADD", indexEntry{key: s.k.interestNames(), member: e.interest})
			}
		}
	}
	w.args = append(w.args, len(ops)/3)
	w.args = append(w.args, ops...)
	return w
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
