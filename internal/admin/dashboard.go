package admin

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/ui"
)

// dashboardRoutes serves the dashboard and the live state it shows:
//
//	GET /ui/                    the dashboard's static shell, no token (it holds no data)
//	GET /admin/v1/deployments   the routing table's live state (deployments.go)
//	GET /admin/v1/traffic       TTFT percentiles, error rates and route reasons from the newest stored attempts (traffic.go)
func (h *Handler) dashboardRoutes(deps Deployments) {
	h.mux.Handle("GET "+ui.Prefix, ui.Handler())
	h.mux.Handle("GET /ui", http.RedirectHandler(ui.Prefix, http.StatusMovedPermanently))
	h.mux.Handle("GET /admin/v1/deployments", h.authed(func(w http.ResponseWriter, r *http.Request) { h.deployments(w, r, deps) }))
	h.mux.Handle("GET /admin/v1/traffic", h.authed(func(w http.ResponseWriter, r *http.Request) { h.traffic(w, r, deps) }))
}
