package threads

import (
	"fmt"
	"strconv"
	"testing"
)

// BenchmarkSearchPeople searches 5,000 users, each with 5 of 100
// interests, against a real Redis:
//
//	go test ./threads -run '^$' -bench SearchPeople -benchtime 200x
func BenchmarkSearchPeople(b *testing.B) {
	e := newEnv(b)
	if err := e.Directory.SetProfileFields(e.ctx, "bench", []ProfileField{{Name: "office", Label: "Office", Searchable: true}}); err != nil {
		b.Fatal(err)
	}
	const users, topics = 5000, 100
	for i := range users {
		var in []string
		for j := range 5 {
			in = append(in, "topic"+strconv.Itoa((i*7+j*13)%topics))
		}
		u := User{ID: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("Person %d Number%d", i, i%97),
			Profile: Profile{Interests: in, Fields: map[string]string{"office": "Office " + strconv.Itoa(i%20)}}}
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		q    PeopleQuery
	}{
		{"shared-interests", PeopleQuery{}},
		{"one-interest", PeopleQuery{Interests: []string{"topic42"}}},
		{"name-prefix", PeopleQuery{Name: "number1"}},
		{"field", PeopleQuery{Fields: map[string]string{"office": "office 7"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			found := 0
			for b.Loop() {
				got, err := e.Directory.SearchPeople(e.ctx, "u0001", c.q)
				if err != nil {
					b.Fatal(err)
				}
				found = len(got)
			}
			b.ReportMetric(float64(found), "matches")
		})
	}
	b.Run("update-profile", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			_, err := e.Directory.UpdateUser(e.ctx, "u0002", func(u *User) error {
				u.Profile.Interests = []string{"topic" + strconv.Itoa(i%topics), "topic" + strconv.Itoa((i+1)%topics)}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
