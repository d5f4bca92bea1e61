package threads

import (
	"errors"
	"testing"
)

func TestNameSkeleton(t *testing.T) {
	same := [][]string{
		{"Bob", "bob", "BOB", "B0b", "Воb", "B\u200bob", "B o b", "Bób", "Ｂｏｂ"},
		{"Bill", "BiII", "Bi11", "B1ll", "Віll"},
		{"Carol Chen", "carol.chen", "Сarol Сhen", "Carol  Chen"},
		{"Marie", "Rnarie"},
		{"Alice", "Аlісе"},
	}
	for _, group := range same {
		want := NameSkeleton(group[0])
		for _, n := range group[1:] {
			if got := NameSkeleton(n); got != want {
				t.Errorf("NameSkeleton(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
	for _, pair := range [][2]string{{"Bob", "Rob"}, {"Ann", "Anne"}, {"Alice", "Alicia"}, {"Bob Ray", "Bob"}, {"u10", "u01"}} {
		if NameSkeleton(pair[0]) == NameSkeleton(pair[1]) {
			t.Errorf("%q and %q share the skeleton %q", pair[0], pair[1], NameSkeleton(pair[0]))
		}
	}
}

func FuzzNameSkeleton(f *testing.F) {
	for _, s := range []string{"Bob", "Воb", "\u202eboB", "rnrn", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NameSkeleton(s)
		if NameSkeleton(k) != k {
			t.Errorf("NameSkeleton(%q) = %q is not a fixed point (%q)", s, k, NameSkeleton(k))
		}
	})
}

// TestLookalikeNames: a new user, or a rename, whose name looks like
// another member's is refused; the user's own name, and a name freed by a
// rename, are not (issue 20).
func TestLookalikeNames(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}}); err != nil {
		t.Fatal(err)
	}
	// Users stored before the index existed are found too.
	if err := e.redis.Client.Del(e.ctx, keys{prefix: e.redis.Prefix}.lookalike()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.Directory.CheckName(e.ctx, "mallory", "Воb"); !errors.Is(err, ErrLookalike) {
		t.Fatalf("a new user named like bob: %v, want ErrLookalike", err)
	}
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "mallory", Name: "Mallory", Emails: []string{"m@evil.example"}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"B0b", "bob", "B\u200bob"} {
		if _, err := e.Directory.UpdateUser(e.ctx, "mallory", rename(e, "mallory", name)); !errors.Is(err, ErrLookalike) {
			t.Errorf("rename to %q: %v, want ErrLookalike", name, err)
		}
	}
	// Bob may write his own name another way; his old name is then free.
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", rename(e, "bob", "BOB")); err != nil {
		t.Fatalf("bob renames himself BOB: %v", err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", rename(e, "bob", "Robert")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "mallory", rename(e, "mallory", "Bob")); err != nil {
		t.Errorf("the name bob gave up: %v", err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "mallory", rename(e, "mallory", "Rоbert")); !errors.Is(err, ErrLookalike) {
		t.Errorf("rename to bob's new name: %v, want ErrLookalike", err)
	}
	// An unrelated change of a user whose name already looks like another's passes.
	if _, err := e.Directory.UpdateUser(e.ctx, "mallory", func(u *User) error { u.TimeZone = "Europe/Paris"; return nil }); err != nil {
		t.Errorf("an unrelated change: %v", err)
	}
}

// rename changes a user's name as the doors do: checked first.
func rename(e *env, id, name string) func(*User) error {
	return func(u *User) error {
		if err := e.Directory.CheckName(e.ctx, id, name); err != nil {
			return err
		}
		u.Name = name
		return nil
	}
}
