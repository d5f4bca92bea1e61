package web

import (
	"net/http"

	"parley/threads"
)

// deliveryView is how a line that needed its members went out to each
// (by email at 10:02, by text at 10:32), and the escalations of it still
// pending: what the sender sees.
type deliveryView struct {
	Room      string                        `json:"room"`
	Line      string                        `json:"line"`
	Reached   map[string][]threads.Delivery `json:"reached"`
	Escalates map[string]threads.Escalation `json:"escalates"`
}

// lineDelivery answers GET /api/rooms/{id}/lines/{line}/delivery for a
// member of the room.
func (h *handler) lineDelivery(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	line := r.PathValue("line")
	reached, pending, err := h.store.Chat.Reached(r.Context(), room.ID, line)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryView{Room: room.ID, Line: line, Reached: reached, Escalates: pending})
	return nil
}
