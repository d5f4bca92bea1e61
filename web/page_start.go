package web

import (
	"net/http"
	"slices"
	"strings"

	"parley/threads"
)

// Starting conversations from the page: a new room (home page), and
// "message NAME" (a direct room) from the people pages. Both are plain
// forms.

// startPageRoutes mounts the forms.
func (h *handler) startPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /rooms", h.page(h.newRoomForm))
	mux.HandleFunc("POST /people/{id}/message", h.page(h.messageForm))
}

// newRoomForm makes a room with the member as owner, and any members the
// form names (user ids, separated by commas or spaces).
func (h *handler) newRoomForm(w http.ResponseWriter, r *http.Request, me *who) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		return errf(http.StatusBadRequest, "invalid", "give the room a name")
	}
	members := strings.FieldsFunc(strings.ToLower(r.PostFormValue("members")), func(c rune) bool { return c == ',' || c == ' ' })
	if len(members) > threads.MaxPage {
		return errf(http.StatusBadRequest, "invalid", "at most %d members at once", threads.MaxPage)
	}
	room, err := h.store.Chat.CreateRoom(r.Context(), threads.Room{ID: roomID(name), Name: name,
		Topic: strings.TrimSpace(r.PostFormValue("topic")), Kind: threads.Group, Members: append(members, me.user.ID), Owner: me.user.ID})
	if err != nil {
		return err
	}
	h.log.Info("room created", "room", room.ID, "member", me.user.ID)
	http.Redirect(w, r, "/rooms/"+room.ID, http.StatusSeeOther)
	return nil
}

// messageForm opens the direct room of the member and another person,
// making it the first time.
func (h *handler) messageForm(w http.ResponseWriter, r *http.Request, me *who) error {
	other, err := h.store.Directory.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if other.ID == me.user.ID || other.Disabled {
		return errf(http.StatusBadRequest, "invalid", "you cannot write to %s directly", other.Name)
	}
	rooms, err := h.store.Chat.RoomsOf(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	for _, room := range rooms {
		if room.Kind == threads.Direct && slices.Contains(room.Members, other.ID) {
			http.Redirect(w, r, "/rooms/"+room.ID, http.StatusSeeOther)
			return nil
		}
	}
	room, err := h.store.Chat.CreateRoom(r.Context(), threads.Room{ID: roomID(me.user.ID + " " + other.ID),
		Name: me.user.Name + " & " + other.Name, Kind: threads.Direct, Members: []string{me.user.ID, other.ID}, Owner: me.user.ID})
	if err != nil {
		return err
	}
	h.log.Info("direct room created", "room", room.ID, "member", me.user.ID)
	http.Redirect(w, r, "/rooms/"+room.ID, http.StatusSeeOther)
	return nil
}
