package admin

import (
	"context"
	"net/http"

	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// booksReader is the ledger side of the store the reports read.
type booksReader interface {
	Books(ctx context.Context, q store.BooksQuery) ([]store.BooksRow, error)
}

// reportRoutes serves the reports, with the CLI's parameters (from, to,
// group_by, format):
//
//	GET /admin/v1/reports/usage     as GET /admin/v1/usage
//	GET /admin/v1/reports/revenue   revenue from the ledger
//	GET /admin/v1/reports/margin    revenue, cost and margin from the ledger
func (h *Handler) reportRoutes() {
	h.mux.Handle("GET /admin/v1/reports/usage", h.authed(h.usage))
	h.mux.Handle("GET /admin/v1/reports/revenue", h.authed(func(w http.ResponseWriter, r *http.Request) { h.books(w, r, "revenue") }))
	h.mux.Handle("GET /admin/v1/reports/margin", h.authed(func(w http.ResponseWriter, r *http.Request) { h.books(w, r, "margin") }))
}

func (h *Handler) books(w http.ResponseWriter, r *http.Request, name string) {
	br, ok := h.store.(booksReader)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "no_ledger", "This store keeps no ledger.")
		return
	}
	v := r.URL.Query()
	q, err := report.ParseBooksQuery(v.Get("from"), v.Get("to"), v.Get("group_by"), v.Get("format"), "json", h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	rows, err := br.Books(r.Context(), store.BooksQuery{From: q.From, To: q.To, GroupBy: q.GroupBy})
	if err != nil {
		h.storeError(w, err)
		return
	}
	switch q.Format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "table":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/json")
	}
	report.NewBooks(name, q, rows).Write(w, q.Format)
}
