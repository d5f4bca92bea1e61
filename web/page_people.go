package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/threads"
)

// The people pages: search (/people) and one profile (/people/{id}).
// Both are plain GET forms and links; they need no script.

// peoplePageRoutes mounts the people pages.
func (h *handler) peoplePageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /people", h.page(h.peoplePage))
	mux.HandleFunc("GET /people/{id}", h.page(h.personPage))
}

// peopleData is what people.html shows.
type peopleData struct {
	Name, Interests string
	// Fields are the searchable fields with what was searched for.
	Fields   []fieldValue
	Searched bool
	People   []threads.PersonMatch
	// Next is the link to the following page of results, if it may hold any.
	Next string
}

func (h *handler) peoplePage(w http.ResponseWriter, r *http.Request, me *who) error {
	q := r.URL.Query()
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return err
	}
	d := peopleData{Name: q.Get("name"), Interests: strings.Join(q["interest"], ", ")}
	for _, f := range defs {
		if f.Searchable {
			d.Fields = append(d.Fields, fieldValue{Name: f.Name, Label: f.Label, Value: q.Get("field." + f.Name)})
		}
	}
	v := viewFor(me, "People")
	status := http.StatusOK
	// Everyone is listed; those who share the member's interests first.
	{
		found, err := h.searchEveryone(r, me)
		if he := classify(err); err != nil && he.status == http.StatusBadRequest {
			v.Error, status = he.msg, http.StatusBadRequest
		} else if err != nil {
			return err
		} else {
			d.Searched, d.People = true, found
			pq, _ := peopleQuery(q)
			limit := pq.Limit
			if limit == 0 {
				limit = 20 // threads' page
			}
			if len(found) == min(limit, threads.MaxPeoplePage) {
				next := url.Values{}
				for k, vs := range q {
					next[k] = vs
				}
				next.Set("offset", strconv.Itoa(pq.Offset+len(found)))
				d.Next = "/people?" + next.Encode()
			}
		}
	}
	v.Data = d
	h.render(w, r, status, "people.html", v)
	return nil
}

func (h *handler) personPage(w http.ResponseWriter, r *http.Request, me *who) error {
	p, err := h.person(r, me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := viewFor(me, p.Name)
	v.Data = p
	h.render(w, r, http.StatusOK, "person.html", v)
	return nil
}

// searchEveryone is the page's search: without terms it lists everyone.
func (h *handler) searchEveryone(r *http.Request, me *who) ([]threads.PersonMatch, error) {
	pq, err := peopleQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	pq.Everyone = true
	return h.store.Directory.SearchPeople(r.Context(), me.user.ID, pq)
}
