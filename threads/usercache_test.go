package threads

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// fullUser has every field set, so that a field added to User without a
// thought for clone fails TestUserCloneSharesNothing.
func fullUser() User {
	return User{ID: "ann", Name: "Ann", Emails: []string{"ann@example.org"}, Phone: "+15550001111",
		PhoneVerified: true, TimeZone: "Europe/Berlin",
		Prefs: Prefs{Channels: map[State]Channel{"away": "sms"}, Digest: DigestWeekly, DigestHour: 7,
			Quiet: &QuietHours{From: "22:00", To: "07:00", Mode: QuietHoldSMS}, AutoReply: AutoReplyOff, Escalate: "15m",
			AttachMax: new(int64(100 << 10)), MMS: "off"},
		EmailFailing: true, SMSOptOut: true, PhoneFailing: true, Role: RoleAdmin, Disabled: true,
		Profile: Profile{Title: "Engineer", Team: "Field", Interests: []string{"radio"}, Fields: map[string]string{"site": "North"}},
		Bot:     true, TokenGen: 3, EmailRetryAt: time.Date(2099, 1, 5, 0, 0, 0, 0, time.UTC),
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// eachField calls f with every leaf field of v (structs are walked).
func eachField(t *testing.T, path string, v reflect.Value, f func(path string, v reflect.Value)) {
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(time.Time{}) {
		for i := range v.NumField() {
			eachField(t, path+"."+v.Type().Field(i).Name, v.Field(i), f)
		}
		return
	}
	f(path, v)
}

func TestUserCloneSharesNothing(t *testing.T) {
	u := fullUser()
	c := u.clone()
	if !reflect.DeepEqual(u, c) {
		t.Fatalf("clone differs:\n%+v\n%+v", u, c)
	}
	orig, copied := map[string]reflect.Value{}, map[string]reflect.Value{}
	eachField(t, "User", reflect.ValueOf(u), func(p string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("fullUser leaves %s unset: set it, and make sure clone copies it if it is a reference", p)
		}
		orig[p] = v
	})
	eachField(t, "User", reflect.ValueOf(c), func(p string, v reflect.Value) { copied[p] = v })
	for p, v := range orig {
		switch v.Kind() {
		case reflect.Slice, reflect.Map, reflect.Pointer:
			if v.Pointer() == copied[p].Pointer() {
				t.Errorf("clone shares %s with the original", p)
			}
		}
	}
}

func TestDecodeUserCache(t *testing.T) {
	s := New(nil, Options{})
	raw, err := json.Marshal(fullUser())
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.decodeUser("ann", string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, fullUser()) {
		t.Fatalf("decoded %+v, want %+v", first, fullUser())
	}
	// What a caller does to its copy never reaches the next caller.
	first.Emails[0] = "changed@example.org"
	first.Prefs.Quiet.From = "00:00"
	first.Profile.Fields["site"] = "South"
	second, err := s.decodeUser("ann", string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(second, fullUser()) {
		t.Fatalf("cached record was changed by a caller: %+v", second)
	}
	// A changed record is a new key: never the old value.
	changed := fullUser()
	changed.Name = "Ann B."
	raw2, _ := json.Marshal(changed)
	third, err := s.decodeUser("ann", string(raw2))
	if err != nil || third.Name != "Ann B." {
		t.Fatalf("changed record decoded as %q, %v", third.Name, err)
	}
	// Bad JSON is an error every time, and is not kept.
	for range 2 {
		if _, err := s.decodeUser("ann", "{"); err == nil {
			t.Fatal("bad record decoded without error")
		}
	}
	// The cache stays bounded, by ids; a record changing again and again
	// stays one entry.
	for i := range decodeCacheSize + 10 {
		id := "u" + strconv.Itoa(i)
		for j := range 2 {
			b, _ := json.Marshal(User{ID: id, Name: string(rune('a' + j)), Created: time.Unix(int64(i), 0)})
			if _, err := s.decodeUser(id, string(b)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := s.users.len(); n > decodeCacheSize {
		t.Fatalf("cache holds %d records, more than %d", n, decodeCacheSize)
	}
}

// TestDecodeStatusCache: a status decodes the same from the cache as
// afresh, a changed status replaces its member's, and bad JSON is an
// error each time.
func TestDecodeStatusCache(t *testing.T) {
	s := New(nil, Options{})
	away := Status{Availability: Away, Text: "back Monday", Until: time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC),
		Set: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	busy := away
	busy.Availability = Busy
	for i, tc := range []struct {
		member string
		status Status
		raw    string // when set, stored as it is
		bad    bool
	}{{"ann", away, "", false}, {"ann", away, "", false}, {"bob", busy, "", false}, {"ann", busy, "", false}, {"ann", away, "", false},
		{"cid", Status{}, "{", true}, {"cid", Status{}, "{", true}} {
		raw := tc.raw
		if raw == "" {
			b, _ := json.Marshal(tc.status)
			raw = string(b)
		}
		got, err := s.decodeStatus(tc.member, raw)
		if tc.bad != (err != nil) || (!tc.bad && got != tc.status) {
			t.Errorf("call %d: decoded %+v, %v; want %+v (error %v)", i, got, err, tc.status, tc.bad)
		}
	}
	if n := s.statuses.len(); n != 2 {
		t.Errorf("cache holds %d statuses, want ann's and bob's", n)
	}
}
