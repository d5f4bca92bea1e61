package threads

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// people seeds a team with interests and returns the env.
func people(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	if err := e.Directory.SetProfileFields(e.ctx, "cli", []ProfileField{{Name: "office", Label: "Office", Searchable: true},
		{Name: "badge", Label: "Badge"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{
		{ID: "alice", Name: "Alice Archer", Profile: Profile{Interests: []string{"go", "climbing", "jazz"}}},
		{ID: "bob", Name: "Bob Ray", Profile: Profile{Interests: []string{"Go", "Jazz"}, Fields: map[string]string{"office": "Berlin Mitte"}}},
		{ID: "carol", Name: "Carol Diaz", Profile: Profile{Interests: []string{"climbing", "go", "jazz", "chess"},
			Fields: map[string]string{"office": "Lisbon", "badge": "42"}}},
		{ID: "dave", Name: "Dave Kim", Profile: Profile{Interests: []string{"chess"}, Fields: map[string]string{"office": "Berlin"}}},
		{ID: "erin", Name: "erin Stone", Profile: Profile{Interests: []string{"go"}}},
		{ID: "aaron", Name: "Aaron Go", Profile: Profile{Interests: []string{"rust"}}},
	} {
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func ids(ms []PersonMatch) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestSearchPeopleRanking(t *testing.T) {
	e := people(t)
	cases := []struct {
		name   string
		viewer string
		q      PeopleQuery
		want   []string
	}{
		{"shared interests with alice, most first, then name", "alice", PeopleQuery{}, []string{"carol", "bob", "erin"}},
		{"one interest, ranked for alice", "alice", PeopleQuery{Interests: []string{"GO"}}, []string{"carol", "bob", "erin"}},
		{"one interest, nobody viewing: by name, any case", "", PeopleQuery{Interests: []string{"go"}},
			[]string{"alice", "bob", "carol", "erin"}},
		{"every interest must match", "", PeopleQuery{Interests: []string{"go", "chess"}}, []string{"carol"}},
		{"unknown interest", "", PeopleQuery{Interests: []string{"polo"}}, []string{}},
		{"name prefix, any case", "", PeopleQuery{Name: "AL"}, []string{"alice"}},
		{"name word prefix", "", PeopleQuery{Name: "arch"}, []string{"alice"}},
		{"name across words", "", PeopleQuery{Name: "alice  a"}, []string{"alice"}},
		{"name matches a surname, ranked for dave", "dave", PeopleQuery{Name: "go"}, []string{"aaron"}},
		{"name is not a substring search", "", PeopleQuery{Name: "lice"}, []string{}},
		{"name and interest", "", PeopleQuery{Name: "c", Interests: []string{"jazz"}}, []string{"carol"}},
		{"searchable field, word prefix", "alice", PeopleQuery{Fields: map[string]string{"office": "berlin"}}, []string{"bob", "dave"}},
		{"field word", "", PeopleQuery{Fields: map[string]string{"office": "mitte"}}, []string{"bob"}},
		{"field and interest", "", PeopleQuery{Fields: map[string]string{"office": "Berlin"}, Interests: []string{"chess"}}, []string{"dave"}},
		{"viewer is left out", "bob", PeopleQuery{Interests: []string{"jazz"}}, []string{"alice", "carol"}},
		{"paging", "alice", PeopleQuery{Limit: 2, Offset: 1}, []string{"bob", "erin"}},
		{"paging past the end", "alice", PeopleQuery{Offset: 10}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := e.Directory.SearchPeople(e.ctx, c.viewer, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), c.want) {
				t.Fatalf("SearchPeople(%q, %+v) = %q, want %q", c.viewer, c.q, ids(got), c.want)
			}
		})
	}
	got, err := e.Directory.SearchPeople(e.ctx, "alice", PeopleQuery{Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("limit 1: %+v, %v", got, err)
	}
	want := PersonMatch{ID: "carol", Name: "Carol Diaz", Interests: []string{"climbing", "go", "jazz", "chess"},
		Fields: map[string]string{"office": "Lisbon", "badge": "42"}, Shared: []string{"climbing", "go", "jazz"}}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("match = %+v, want %+v", got[0], want)
	}
}

func TestSearchPeopleBadQueries(t *testing.T) {
	e := people(t)
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "nobody", Name: "No Interests"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		viewer string
		q      PeopleQuery
		err    error
		text   string
	}{
		{"nothing to search by", "", PeopleQuery{}, ErrInvalid, "search by name"},
		{"viewer without interests", "nobody", PeopleQuery{}, ErrInvalid, "search by name"},
		{"unknown viewer", "zed", PeopleQuery{Name: "a"}, ErrNotFound, "zed"},
		{"field not searchable", "", PeopleQuery{Fields: map[string]string{"badge": "42"}}, ErrInvalid, "not searchable"},
		{"field not defined", "", PeopleQuery{Fields: map[string]string{"shoe": "42"}}, ErrInvalid, "not defined"},
		{"empty field value", "", PeopleQuery{Fields: map[string]string{"office": " "}}, ErrInvalid, "empty"},
		{"bad interest", "", PeopleQuery{Interests: []string{"a{b}"}}, ErrInvalid, "interest"},
		{"negative limit", "", PeopleQuery{Name: "a", Limit: -1}, ErrInvalid, "negative"},
		{"control in name", "", PeopleQuery{Name: "a\x00"}, ErrInvalid, "control"},
	}
	for _, c := range cases {
		if _, err := e.Directory.SearchPeople(e.ctx, c.viewer, c.q); !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: SearchPeople = %v, want %v mentioning %q", c.name, err, c.err, c.text)
		}
	}
}

func TestPeopleIndexFollowsUpdatesAndDisabling(t *testing.T) {
	e := people(t)
	checkIndexes(t, e)
	steps := []struct {
		name   string
		change func() error
		q      PeopleQuery
		want   []string
	}{
		{"bob drops jazz, takes chess", func() error {
			_, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Profile.Interests = []string{"go", "chess"}; return nil })
			return err
		}, PeopleQuery{Interests: []string{"jazz"}}, []string{"alice", "carol"}},
		{"bob renamed", func() error {
			_, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Name = "Robert Ray"; return nil })
			return err
		}, PeopleQuery{Name: "bob"}, []string{}},
		{"new name found", nil, PeopleQuery{Name: "rob"}, []string{"bob"}},
		{"office moved", func() error {
			_, err := e.Directory.UpdateUser(e.ctx, "dave", func(u *User) error { u.Profile.Fields["office"] = "Porto"; return nil })
			return err
		}, PeopleQuery{Fields: map[string]string{"office": "berlin"}}, []string{"bob"}},
		{"carol disabled: gone from every search", func() error { _, err := e.Directory.DisableUser(e.ctx, "cli", "carol"); return err },
			PeopleQuery{Interests: []string{"chess"}}, []string{"dave", "bob"}}, // Dave Kim before Robert Ray
		{"carol not found by name", nil, PeopleQuery{Name: "carol"}, []string{}},
		{"carol not found by field", nil, PeopleQuery{Fields: map[string]string{"office": "lisbon"}}, []string{}},
		{"carol's profile change while disabled stays out", func() error {
			_, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.Profile.Interests = append(u.Profile.Interests, "polo"); return nil })
			return err
		}, PeopleQuery{Interests: []string{"polo"}}, []string{}},
		{"carol enabled: back, with the new interest", func() error { _, err := e.Directory.EnableUser(e.ctx, "cli", "carol"); return err },
			PeopleQuery{Interests: []string{"polo"}}, []string{"carol"}},
	}
	for _, s := range steps {
		if s.change != nil {
			if err := s.change(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		got, err := e.Directory.SearchPeople(e.ctx, "", s.q)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(ids(got), s.want) {
			t.Fatalf("%s: %+v found %q, want %q", s.name, s.q, ids(got), s.want)
		}
		checkIndexes(t, e)
	}
	// The holder count still counts carol's office while she was disabled:
	// the field could not have been removed meanwhile.
	if err := e.Directory.SetProfileFields(e.ctx, "cli", nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("removing held fields: %v", err)
	}
}

func TestSearchPeopleConcurrentUpdates(t *testing.T) {
	e := people(t)
	// Six writers, one update each: each loses at most five times, within
	// UpdateUser's ten attempts.
	done := make(chan error)
	for i := 0; i < 6; i++ {
		go func() {
			_, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error {
				if contains(u.Profile.Interests, "chess") {
					u.Profile.Interests = []string{"go", "topic" + strconv.Itoa(i)}
				} else {
					u.Profile.Interests = []string{"chess", "jazz"}
				}
				return nil
			})
			done <- err
		}()
	}
	for i := 0; i < 6; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	checkIndexes(t, e)
}

func TestReindexPeople(t *testing.T) {
	e := people(t)
	if _, err := e.Directory.DisableUser(e.ctx, "cli", "dave"); err != nil {
		t.Fatal(err)
	}
	// Users stored before profiles were indexed, and an entry gone stale:
	// bob never had polo.
	keys, err := e.redis.Keys(e.ctx, e.k.prefix+"{users}:[in]*")
	if err != nil {
		t.Fatal(err)
	}
	fv, _ := e.redis.Keys(e.ctx, e.k.fieldValues("*"))
	keys = append(append(keys, fv...), e.k.fieldHeld())
	if err := e.redis.Client.Del(e.ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	e.redis.Client.SAdd(e.ctx, e.k.interest("polo"), "bob")
	e.redis.Client.SAdd(e.ctx, e.k.interestNames(), "polo")
	if got, err := e.Directory.SearchPeople(e.ctx, "", PeopleQuery{Interests: []string{"polo"}}); err != nil || len(got) != 0 {
		t.Fatalf("a stale entry answered: %q, %v", ids(got), err)
	}
	if got, _ := e.Directory.SearchPeople(e.ctx, "", PeopleQuery{Name: "bob"}); len(got) != 0 {
		t.Fatalf("found without an index: %q", ids(got))
	}
	n, err := e.Directory.ReindexPeople(e.ctx)
	if err != nil || n != 6 {
		t.Fatalf("ReindexPeople = %d, %v; want 6 users", n, err)
	}
	checkIndexes(t, e)
	if got, _ := e.Directory.SearchPeople(e.ctx, "", PeopleQuery{Name: "bob"}); !reflect.DeepEqual(ids(got), []string{"bob"}) {
		t.Fatalf("after reindex: %q", ids(got))
	}
	if e.redis.Client.Exists(e.ctx, e.k.interest("polo")).Val() != 0 {
		t.Fatal("the stale interest set survived the reindex")
	}
	if err := e.Directory.SetProfileFields(e.ctx, "cli", nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("holder counts not rebuilt: %v", err)
	}
}
