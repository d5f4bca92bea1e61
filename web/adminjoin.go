package web

import (
	"bytes"
	"context"
	"fmt"
	"html"

	"parley/threads"
)

// An admin may change any room's members through the API, their own
// membership included. Unlike a change by the room's owner, such a change
// is written to the audit log, and a join is told in the room as a system
// line, so an admin cannot join, read and leave unseen.

// systemLine renders one of the line-* templates of
// web/templates/system-lines.html as the plain text of a line.
func systemLine(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return html.UnescapeString(b.String()), nil
}

// byAdmin reports whether a change of room's members by me is an admin's
// rather than its owner's.
func byAdmin(me *who, room threads.Room) bool {
	return me.user.Role == threads.RoleAdmin && room.Owner != me.user.ID
}

// adminAddedMember audits an admin's adding of user to room and says so in
// the room.
func (h *handler) adminAddedMember(ctx context.Context, me *who, room threads.Room, user string) error {
	if err := h.store.Directory.Audit(ctx, threads.AuditEntry{Actor: me.user.ID, Action: "room.add_member", Target: room.ID,
		Detail: user + " (by an admin, through the API)"}); err != nil {
		return fmt.Errorf("member added to %s, but not audited: %w", room.ID, err)
	}
	name, tmpl := me.user.Name, "line-admin-joined"
	if user != me.user.ID {
		tmpl = "line-admin-added"
		if u, err := h.store.Directory.User(ctx, user); err == nil {
			name = u.Name
		} else {
			name = user
		}
	}
	text, err := systemLine(tmpl, map[string]string{"Admin": me.user.Name, "User": name})
	if err != nil {
		return err
	}
	if _, err := h.store.Chat.Post(ctx, threads.NewLine{Room: room.ID, Author: me.user.ID, AuthorName: "parley", Text: text,
		Origin: threads.FromSystem}); err != nil {
		return fmt.Errorf("member added to %s, but the room was not told: %w", room.ID, err)
	}
	return nil
}

// adminRemovedMember audits an admin's removal of user from room.
func (h *handler) adminRemovedMember(ctx context.Context, me *who, room threads.Room, user string) error {
	if err := h.store.Directory.Audit(ctx, threads.AuditEntry{Actor: me.user.ID, Action: "room.remove_member", Target: room.ID,
		Detail: user + " (by an admin, through the API)"}); err != nil {
		return fmt.Errorf("member removed from %s, but not audited: %w", room.ID, err)
	}
	return nil
}
