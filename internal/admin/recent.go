package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
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
	out := map[string]any{"events": h.withCharges(r.Context(), es)}
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

// recentEvent is an event as the requests list shows it: with what its
// request was charged, on the attempt that was charged.
type recentEvent struct {
	report.Event
	// ChargedUSD is the request's revenue as booked in the ledger (a later
	// reversal is not subtracted); absent when the attempt was not the
	// charged one, nothing was charged, or the books do not have it yet.
	ChargedUSD   *string `json:"charged_usd,omitempty"`
	ChargedNanos *int64  `json:"charged_nanos,omitempty"`
}

// withCharges renders a page of events with their requests' charges, read
// in one query for the page (store.ChargeReader). The list still answers
// without them if the books cannot be read.
func (h *Handler) withCharges(ctx context.Context, es []usage.Event) []recentEvent {
	evs := report.Events(es)
	out := make([]recentEvent, len(evs))
	for i := range evs {
		out[i].Event = evs[i]
	}
	cr, ok := h.store.(store.ChargeReader)
	if !ok {
		return out
	}
	var ids []string
	for i := range es {
		if ledger.Charged(&es[i]) {
			ids = append(ids, es[i].RequestID)
		}
	}
	charges, err := cr.Charges(ctx, ids)
	if err != nil {
		h.log.Warn("admin: requests list: charges not read", "err", err)
		return out
	}
	for i := range es {
		if rev, ok := charges[es[i].RequestID]; ok && ledger.Charged(&es[i]) {
			usd, n := rev.String(), int64(rev)
			out[i].ChargedUSD, out[i].ChargedNanos = &usd, &n
		}
	}
	return out
}
