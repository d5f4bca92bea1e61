package main

import (
	"context"
	"fmt"
	"strings"

	"parley/threads"
)

// demoProfiles are the cast's profiles, by user id.
func demoProfiles() map[string]threads.Profile {
	return map[string]threads.Profile{
		"alice": {Title: "Web lead", Team: "Design", Interests: []string{"typography", "go", "cycling"},
			Fields: map[string]string{"office": "Berlin"}},
		"bob": {Title: "Designer", Team: "Design", Interests: []string{"typography", "photography"},
			Fields: map[string]string{"office": "Lisbon"}},
		"carol": {Title: "Field engineer", Team: "Operations", Interests: []string{"go", "cycling", "typography"},
			Fields: map[string]string{"office": "New York"}},
		"dave": {Title: "Printer liaison", Team: "Operations", Interests: []string{"chess"}},
		"erin": {Title: "Developer", Team: "Web", Interests: []string{"go", "chess"},
			Fields: map[string]string{"office": "Berlin"}},
	}
}

// demoField is the profile field the demo defines.
var demoField = threads.ProfileField{Name: "office", Label: "Office", Searchable: true}

// showPeople gives the cast their profiles and prints who shares interests
// with Alice, as `parley people search --as alice` does. A profile someone
// already filled in (a second demo on a shared Redis) is kept.
func (d *demo) showPeople(ctx context.Context) error {
	fields, err := d.st.Directory.ProfileFields(ctx)
	if err != nil {
		return err
	}
	defined := false
	for _, f := range fields {
		defined = defined || f.Name == demoField.Name
	}
	if !defined {
		if err := d.st.Directory.SetProfileFields(ctx, "demo", append(fields, demoField)); err != nil {
			return fmt.Errorf("demo profile fields: %w", err)
		}
	}
	for id, p := range demoProfiles() {
		_, err := d.st.Directory.UpdateUser(ctx, id, func(u *threads.User) error {
			if len(u.Profile.Interests) == 0 {
				u.Profile = p
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo profile of %s: %w", id, err)
		}
	}
	found, err := d.st.Directory.SearchPeople(ctx, "alice", threads.PeopleQuery{Limit: 5})
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nWho shares interests with Alice (%s)? parley people search --as alice\n",
		strings.Join(demoProfiles()["alice"].Interests, ", "))
	rows := []string{}
	for _, p := range found {
		rows = append(rows, fmt.Sprintf("  %s\t%s\t%s, %s\t%d shared: %s", p.ID, p.Name, p.Title, p.Fields["office"],
			len(p.Shared), strings.Join(p.Shared, ", ")))
	}
	_ = table(&b, rows...)
	d.printf("%s", b.String())
	return nil
}
