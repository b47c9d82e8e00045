package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// recentEvents answers GET /admin/v1/events without request_id: the latest
// events, newest first, filtered by tenant, key, model and outcome, a page
// at a time. next_before is the cursor of the next (older) page, absent on
// the last one; it is opaque to clients.
func (h *Handler) recentEvents(w http.ResponseWriter, r *http.Request) {
	rl, ok := h.store.(store.RecentLister)
	if !ok {
		writeError(w, http.StatusNotImplemented, "unavailable", "This store cannot list recent events.")
		return
	}
	v := r.URL.Query()
	q := store.RecentQuery{Tenant: v.Get("tenant"), KeyID: v.Get("key"), Model: v.Get("model")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxRecent {
			writeError(w, http.StatusBadRequest, "bad_query", "limit "+strconv.Quote(s)+": want 1 to "+strconv.Itoa(store.MaxRecent))
			return
		}
		q.Limit = n
	}
	if s := v.Get("outcome"); s != "" {
		o, ok := usage.ParseOutcome(s)
		if !ok {
			writeError(w, http.StatusBadRequest, "bad_query", "outcome "+strconv.Quote(s)+": use completed, failed, rejected, interrupted or client_aborted")
			return
		}
		q.Outcome = o
	}
	if s := v.Get("before"); s != "" {
		c, err := parseCursor(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_query", "before: "+err.Error())
			return
		}
		q.Before = &c
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	es, err := rl.RecentEvents(r.Context(), q)
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := map[string]any{"events": report.Events(es)}
	if len(es) == q.Limit {
		last := es[len(es)-1]
		out["next_before"] = formatCursor(store.EventCursor{Time: last.Time, RequestID: last.RequestID, Attempt: last.Attempt})
	}
	writeJSON(w, http.StatusOK, out)
}

// A cursor is "unixnano:attempt:request_id"; the request id goes last so
// that it may hold any character.
func formatCursor(c store.EventCursor) string {
	return strconv.FormatInt(c.Time.UnixNano(), 10) + ":" + strconv.Itoa(c.Attempt) + ":" + c.RequestID
}

func parseCursor(s string) (store.EventCursor, error) {
	ns, rest, ok1 := strings.Cut(s, ":")
	att, id, ok2 := strings.Cut(rest, ":")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	a, err2 := strconv.Atoi(att)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || id == "" {
		return store.EventCursor{}, errors.New("not a cursor from next_before")
	}
	return store.EventCursor{Time: time.Unix(0, n).UTC(), RequestID: id, Attempt: a}, nil
}
