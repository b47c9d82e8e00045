package admin

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// commitmentRoutes serves the commitments report and the FOCUS export:
//
//	GET /admin/v1/reports/commitments   ?to= (as of) &from= (hourly table) &format=json|table|csv
//	GET /admin/v1/reports/focus         ?from=&to=&granularity=day|hour   FOCUS 1.2 CSV
//
// catalog gives the config's commitments and providers as they are now (a
// reload changes them); nil serves no commitments.
func (h *Handler) commitmentRoutes(catalog func() focus.Catalog) {
	cat := func() focus.Catalog {
		if catalog == nil {
			return focus.Catalog{}
		}
		return catalog()
	}
	h.mux.Handle("GET /admin/v1/reports/commitments", h.authed(func(w http.ResponseWriter, r *http.Request) {
		h.commitments(w, r, cat())
	}))
	h.mux.Handle("GET /admin/v1/reports/focus", h.authed(func(w http.ResponseWriter, r *http.Request) {
		h.focus(w, r, cat())
	}))
}

// source reads the store's rollups, when the store can also sum spend.
func (h *Handler) source(w http.ResponseWriter) (commit.Source, bool) {
	st, ok := h.store.(commit.UsageReader)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "This store cannot serve cost reports.")
		return nil, false
	}
	return commit.Rollups{Store: st}, true
}

func terms(cat focus.Catalog) []commit.Terms {
	out := make([]commit.Terms, 0, len(cat.Commitments))
	for _, t := range cat.Commitments {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b commit.Terms) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (h *Handler) commitments(w http.ResponseWriter, r *http.Request, cat focus.Catalog) {
	v := r.URL.Query()
	from := v.Get("from")
	if from == "" {
		from = "1970-01-01" // replaced below: the default depends on to
	}
	q, err := report.ParseQuery(from, v.Get("to"), "", v.Get("format"), "json", h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	if v.Get("from") == "" {
		q.From = q.To.Add(-24 * time.Hour)
	}
	src, ok := h.source(w)
	if !ok {
		return
	}
	ss, err := commit.Statuses(r.Context(), src, terms(cat), q.To, q.From, q.To)
	if err != nil {
		h.storeError(w, err)
		return
	}
	if vs, ok := h.store.(store.CommitmentVersions); ok {
		seen, err := vs.CommitmentVersions(r.Context())
		if err != nil {
			h.storeError(w, err)
			return
		}
		commit.AttachHistory(ss, seen)
	}
	doc := &commit.ReportDoc{AsOf: q.To, Commitments: ss}
	switch q.Format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "table":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/json")
	}
	doc.Write(w, q.Format)
}

func (h *Handler) focus(w http.ResponseWriter, r *http.Request, cat focus.Catalog) {
	v := r.URL.Query()
	q, err := report.ParseQuery(v.Get("from"), v.Get("to"), "", "csv", "csv", h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	g := focus.Daily
	switch v.Get("granularity") {
	case "", "day":
	case "hour":
		g = focus.Hourly
	default:
		writeError(w, http.StatusBadRequest, "bad_query", "granularity must be day or hour")
		return
	}
	src, ok := h.source(w)
	if !ok {
		return
	}
	a, err := commit.Export(r.Context(), src, terms(cat), q.From, q.To, h.now())
	if err != nil {
		h.storeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="costs.csv"`)
	focus.Write(w, focus.Rows(cat, a, g))
}
