package mailcompose

import "parley/templates"

// FileLinkText is the data of the fresh file link templates
// (email-filelink-subject.txt and email-filelink.txt): a member opened an
// expired link to a file and asked for a new one.
type FileLinkText struct {
	// Name is the member's display name, or "".
	Name string
	// File is the file's name; Room the name of its room.
	File, Room string
	// Link is the fresh link; Days how long it works.
	Link string
	Days int
}

func init() {
	for _, name := range []string{"email-filelink-subject.txt", "email-filelink.txt"} {
		templates.Declare(name, FileLinkText{Name: "Bob", File: "plan.pdf", Room: "Design",
			Link: "https://parley.example/f/design~kq2x1c3k-0~0~bob~t5x2hc~aaaaaaaaaaaaaaaaaaaaaaaa/plan.pdf", Days: 7})
	}
}
