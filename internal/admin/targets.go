package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/forecast"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/target"
)

// Targets evaluates the configured targets now (the gateway's evaluator).
type Targets func(ctx context.Context) []target.Status

// targetRoutes serves GET /admin/v1/reports/targets: the targets' status
// (?format=json|csv|table), or with ?backtest=1 the mid-period forecasts of
// the store's daily revenue against the actuals (?period=month|week|quarter).
// Without targets it answers 503.
func (h *Handler) targetRoutes(src Targets) {
	h.mux.Handle("GET /admin/v1/reports/targets", h.authed(func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		format := v.Get("format")
		switch format {
		case "":
			format = "json"
		case "json", "csv", "table":
		default:
			writeError(w, http.StatusBadRequest, "bad_query", "format must be json, csv or table.")
			return
		}
		if v.Get("backtest") != "" && v.Get("backtest") != "0" && v.Get("backtest") != "false" {
			h.targetBacktest(w, r, format, v.Get("period"))
			return
		}
		if src == nil {
			writeError(w, http.StatusServiceUnavailable, "no_targets", "No targets are configured.")
			return
		}
		ss := src(r.Context())
		setReportType(w, format)
		if err := target.WriteStatuses(w, format, ss); err != nil {
			h.log.Error("admin: targets report", "err", err)
		}
	}))
}

func (h *Handler) targetBacktest(w http.ResponseWriter, r *http.Request, format, period string) {
	p, err := forecast.ParsePeriod(period)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	rows, err := target.BooksFor(h.store).Money(r.Context(), store.UsageQuery{GroupBy: []string{"day"}})
	if err != nil {
		h.storeError(w, err)
		return
	}
	series := make([]forecast.Point, 0, len(rows))
	for _, row := range rows {
		d, _ := time.Parse(time.DateOnly, row.Group["day"])
		series = append(series, forecast.Point{Day: d, Value: int64(row.Revenue)})
	}
	setReportType(w, format)
	if err := target.WriteBacktest(w, format, forecast.Backtest(series, p), true); err != nil {
		h.log.Error("admin: targets backtest", "err", err)
	}
}

func setReportType(w http.ResponseWriter, format string) {
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "table":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/json")
	}
}
