package main

import (
	"context"
	"fmt"

	"parley/threads"
)

// showWebAdmin makes the demo's signed-in member (Alice) an admin, as
// `parley user set --role admin` would, and points at the pages that
// come with it: people search, profiles and transcripts for everyone,
// and /admin for admins.
func (d *demo) showWebAdmin(ctx context.Context, url string) error {
	if _, err := d.st.Directory.SetRole(ctx, "cli", "alice", threads.RoleAdmin); err != nil {
		return fmt.Errorf("make alice an admin: %w", err)
	}
	d.printf("  Find colleagues who share Alice's interests: %s/people?interest=go (or /api/people?interest=go)\n"+
		"  Alice is an admin in the demo: %s/admin has users, allowed domains, profile fields,\n"+
		"  retention and the audit log (this change is in it, after Dave's phone). Each room links its transcript.\n", url, url)
	return nil
}
