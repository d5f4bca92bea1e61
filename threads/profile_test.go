package threads

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestProfileValidation(t *testing.T) {
	long := strings.Repeat("x", MaxInterestLen+1)
	many := make([]string, MaxInterests+1)
	for i := range many {
		many[i] = "topic " + strconv.Itoa(i)
	}
	cases := []struct {
		name string
		in   Profile
		want Profile // when err is ""
		err  string
	}{
		{"interests trimmed, lower-cased, deduplicated, empty skipped",
			Profile{Interests: []string{" Go ", "go", "Machine   Learning", "", "C++", "c#"}},
			Profile{Interests: []string{"go", "machine learning", "c++", "c#"}}, ""},
		{"non-latin interest", Profile{Interests: []string{"Ölmalerei"}}, Profile{Interests: []string{"ölmalerei"}}, ""},
		{"interest too long", Profile{Interests: []string{long}}, Profile{}, "at most 40"},
		{"interest with a brace", Profile{Interests: []string{"go{x}"}}, Profile{}, "letters, digits"},
		{"inner whitespace collapses", Profile{Interests: []string{"go\n  rust"}}, Profile{Interests: []string{"go rust"}}, ""},
		{"too many interests", Profile{Interests: many}, Profile{}, "at most 20"},
		{"title and team trimmed", Profile{Title: " Engineer ", Team: " Web "}, Profile{Title: "Engineer", Team: "Web"}, ""},
		{"title too long", Profile{Title: strings.Repeat("t", MaxProfileText+1)}, Profile{}, "title must be"},
		{"control in team", Profile{Team: "We\x1bb"}, Profile{}, "control"},
		{"field value trimmed, empty dropped", Profile{Fields: map[string]string{"office": " Berlin ", "desk": " "}},
			Profile{Fields: map[string]string{"office": "Berlin"}}, ""},
		{"bad field name", Profile{Fields: map[string]string{"Office!": "x"}}, Profile{}, "field name"},
		{"field value too long", Profile{Fields: map[string]string{"office": strings.Repeat("b", MaxFieldValue+1)}}, Profile{}, "at most 200"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.in.normalize()
			if c.err != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("normalize(%+v) = %v, want ErrInvalid mentioning %q", c.in, err, c.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("normalize(%+v) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
		})
	}
}

func FuzzProfileNormalize(f *testing.F) {
	f.Add(" Go ", "Engineer", "office", "Berlin")
	f.Add("c++\x00", "\xff", "Bad Name", "")
	f.Fuzz(func(t *testing.T, interest, title, field, value string) {
		p := Profile{Title: title, Interests: []string{interest, interest}, Fields: map[string]string{field: value}}
		got, err := p.normalize()
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		again, err := got.normalize()
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("normalize is not idempotent: %+v then %+v, %v", got, again, err)
		}
		if len(got.Interests) > 1 {
			t.Fatalf("duplicate interest kept: %q", got.Interests)
		}
	})
}

func TestProfileFieldsStandard(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	// Undefined fields are refused, and nothing is written.
	_, err := e.Directory.UpdateUser(e.ctx, "alice", func(u *User) error {
		u.Profile.Fields = map[string]string{"office": "Berlin"}
		return nil
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"office" is not defined`) {
		t.Fatalf("value of an undefined field: %v", err)
	}
	fields := []ProfileField{{Name: "office", Label: "Office", Searchable: true}, {Name: "languages", Label: "Languages"}}
	if err := e.Directory.SetProfileFields(e.ctx, "cli", fields); err != nil {
		t.Fatal(err)
	}
	got, err := e.Directory.ProfileFields(e.ctx)
	if err != nil || !reflect.DeepEqual(got, fields) {
		t.Fatalf("ProfileFields = %+v, %v; want %+v", got, err, fields)
	}
	setFields(t, e, "alice", map[string]string{"office": "Berlin", "languages": "German, English"})
	setFields(t, e, "bob", map[string]string{"office": "Lisbon"})

	for _, c := range []struct {
		name   string
		fields []ProfileField
		err    error
		text   string
	}{
		{"bad name", []ProfileField{{Name: "Office"}}, ErrInvalid, "field name"},
		{"twice", []ProfileField{{Name: "office"}, {Name: "office"}}, ErrInvalid, "twice"},
		{"control in label", []ProfileField{{Name: "office", Label: "Off\x07ice"}}, ErrInvalid, "control"},
		{"removing a held field", fields[:1], ErrInUse, "languages: 1 users hold a value"},
		{"removing all", nil, ErrInUse, "users hold a value"},
	} {
		if err := e.Directory.SetProfileFields(e.ctx, "cli", c.fields); !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: SetProfileFields = %v, want %v mentioning %q", c.name, err, c.err, c.text)
		}
	}
	if got, _ := e.Directory.ProfileFields(e.ctx); !reflect.DeepEqual(got, fields) {
		t.Fatalf("a refused change changed the fields: %+v", got)
	}
	// Relabelling, reordering and making a field searchable keep the values.
	changed := []ProfileField{{Name: "languages", Label: "Spoken languages", Searchable: true}, {Name: "office", Label: "Office"}}
	if err := e.Directory.SetProfileFields(e.ctx, "cli", changed); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.Directory.User(e.ctx, "alice"); u.Profile.Fields["languages"] != "German, English" {
		t.Fatalf("alice's values after relabelling: %+v", u.Profile.Fields)
	}
	// A field is removed after its values are cleared, on purpose.
	n, err := e.Directory.ClearProfileField(e.ctx, "cli", "languages")
	if err != nil || n != 1 {
		t.Fatalf("ClearProfileField = %d, %v; want 1 user", n, err)
	}
	if err := e.Directory.SetProfileFields(e.ctx, "cli", changed[1:]); err != nil {
		t.Fatalf("remove the cleared field: %v", err)
	}
	if u, _ := e.Directory.User(e.ctx, "alice"); !reflect.DeepEqual(u.Profile.Fields, map[string]string{"office": "Berlin"}) {
		t.Fatalf("alice's fields: %+v", u.Profile.Fields)
	}
	checkIndexes(t, e)
	log, err := e.Directory.AuditLog(e.ctx, AuditFilter{Actor: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action+" "+a.Target)
	}
	want := []string{"fields.set profile fields", "field.clear languages", "fields.set profile fields", "fields.set profile fields"}
	if !reflect.DeepEqual(actions, want) {
		t.Fatalf("audit log %q, want %q", actions, want)
	}
	if !strings.Contains(log[1].Detail, "alice") {
		t.Errorf("field.clear detail %q does not name alice", log[1].Detail)
	}
}

// setFields sets a user's profile fields.
func setFields(t *testing.T, e *env, id string, fields map[string]string) {
	t.Helper()
	if _, err := e.Directory.UpdateUser(e.ctx, id, func(u *User) error { u.Profile.Fields = fields; return nil }); err != nil {
		t.Fatalf("set fields of %s: %v", id, err)
	}
}

// checkIndexes compares every search index and the field holder counts
// with what the stored users say they should be.
func checkIndexes(t *testing.T, e *env) {
	t.Helper()
	users, err := e.Directory.Users(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	held := map[string]string{}
	for i := range users {
		u := &users[i]
		for _, en := range e.Directory.indexEntries(u, nil) {
			want[en.key] = append(want[en.key], en.member)
		}
		for f := range u.Profile.Fields {
			n, _ := strconv.Atoi(held[f])
			held[f] = strconv.Itoa(n + 1)
		}
	}
	got := map[string][]string{}
	for _, pattern := range []string{e.k.interest("*"), e.k.names(), e.k.fieldValues("*")} {
		keys, err := e.redis.Keys(e.ctx, pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			var members []string
			if typ := e.redis.Client.Type(e.ctx, k).Val(); typ == "zset" {
				members = e.redis.Client.ZRange(e.ctx, k, 0, -1).Val()
			} else {
				members = e.redis.Client.SMembers(e.ctx, k).Val()
			}
			got[k] = members
		}
	}
	for _, m := range []map[string][]string{want, got} {
		for k := range m {
			sort.Strings(m[k])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("search indexes drifted:\n got %s\nwant %s", fmtIndex(got), fmtIndex(want))
	}
	for k := range want {
		if in, ok := strings.CutPrefix(k, e.k.interest("")); ok && !e.redis.Client.SIsMember(e.ctx, e.k.interestNames(), in).Val() {
			t.Fatalf("interest %q has a set but is not in the registry", in)
		}
	}
	gotHeld := e.redis.Client.HGetAll(e.ctx, e.k.fieldHeld()).Val()
	if len(gotHeld) != len(held) || (len(held) > 0 && !reflect.DeepEqual(gotHeld, held)) {
		t.Fatalf("field holder counts %v, want %v", gotHeld, held)
	}
}

func fmtIndex(m map[string][]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s: %q", k, m[k])
	}
	return b.String()
}

func TestWordStarts(t *testing.T) {
	cases := map[string][]string{
		"Alice Archer":      {"alice archer", "archer"},
		" Anne-Marie  Roy ": {"anne-marie roy", "marie roy", "roy"},
		"German, English":   {"german, english", "english"},
		"":                  nil,
	}
	for in, want := range cases {
		if got := wordStarts(in); !reflect.DeepEqual(got, want) {
			t.Errorf("wordStarts(%q) = %q, want %q", in, got, want)
		}
	}
}
