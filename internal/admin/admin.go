// Package admin serves the admin listener: usage and events today, behind a bearer token.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// Store is what the admin API reads.
type Store interface {
	Usage(ctx context.Context, q store.UsageQuery) ([]store.UsageRow, error)
	Events(ctx context.Context, requestID string) ([]usage.Event, error)
}

// Options configure the admin handler.
type Options struct {
	// Token is the bearer token every /admin/v1 request must carry. Empty
	// leaves the API open, which CheckListen allows on loopback only.
	Token string
	Store Store
	Log   *slog.Logger
	// Now is the clock for default report periods; nil means time.Now.
	Now func() time.Time
	// Tenants keeps tenants and keys; Keyring digests new secrets under
	// the pepper; OnChange runs after each write (the gateway reloads its
	// keyring). Nil Tenants or Keyring: the tenant endpoints answer 503.
	Tenants  store.Tenants
	Keyring  *access.Keyring
	OnChange func()
	// Metrics serves GET /metrics (Prometheus), behind the token like every
	// admin route; nil: 404.
	Metrics http.Handler
	// Catalog gives the config's commitments and providers for the
	// commitments report and the FOCUS export (commitments.go); nil: none.
	Catalog func() focus.Catalog
	// Deployments reports the routing table's live state for
	// GET /admin/v1/deployments (deployments.go); nil: 404.
	Deployments Deployments
	// Plans holds the plans and assignments in force (plans.go); nil: 503.
	// PlanDocs keeps those made here across restarts; nil: memory only.
	Plans    *plan.Live
	PlanDocs store.AdminPlans
	// Targets evaluates the configured targets for
	// /admin/v1/reports/targets (targets.go); nil: 503.
	Targets Targets
	// Budgets tells the spend of tenants' and keys' budgets in their
	// current periods (tenants.go); nil: the tenant and key answers leave
	// budget_used out.
	Budgets BudgetSpend
}

// Handler is the admin listener's handler.
type Handler struct {
	mux   *http.ServeMux
	token [sha256.Size]byte
	open  bool
	store Store
	log   *slog.Logger
	now   func() time.Time

	keys     store.Tenants
	ring     *access.Keyring
	onChange func()
	budgets  BudgetSpend
	planDocs store.AdminPlans
}

// New returns the admin handler. Its routes, in one table:
//
//	GET /admin/v1/usage    usage grouped by deployment|model|key|tenant|provider|day|hour
//	GET /admin/v1/events   one request's attempts (?request_id=), or the latest events (recent.go)
//	GET /admin/v1/deployments, /admin/v1/traffic, /ui/   live routing state, recent traffic and the dashboard (dashboard.go)
//	/admin/v1/tenants…, /admin/v1/keys…   tenants and their keys (tenants.go)
//	GET /admin/v1/reports/usage|revenue|margin   reports (reports.go)
func New(o Options) *Handler {
	h := &Handler{mux: http.NewServeMux(), token: sha256.Sum256([]byte(o.Token)), open: o.Token == "",
		store: o.Store, log: o.Log, now: o.Now, keys: o.Tenants, ring: o.Keyring, onChange: o.OnChange, budgets: o.Budgets, planDocs: o.PlanDocs}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.mux.Handle("GET /admin/v1/usage", h.authed(h.usage))
	h.mux.Handle("GET /admin/v1/events", h.authed(h.events))
	h.tenantRoutes()
	h.dashboardRoutes(o.Deployments)
	h.planRoutes(o.Plans) // plans.go
	h.reportRoutes()
	h.commitmentRoutes(o.Catalog)
	h.targetRoutes(o.Targets) // targets.go
	if o.Metrics != nil {
		h.mux.Handle("GET /metrics", h.authed(o.Metrics.ServeHTTP))
	}
	h.mux.Handle("/", h.authed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "No admin endpoint "+r.Method+" "+r.URL.Path+".")
	}))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// CheckListen refuses an admin listener that would be reachable from other
// machines without a token.
func CheckListen(addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("admin.listen " + addr + " is not a loopback address: set admin.token, or bind to 127.0.0.1")
}

// authed checks the bearer token in constant time: digests of equal length
// are compared, so neither the token nor its length leaks through timing.
func (h *Handler) authed(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.open {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			got := sha256.Sum256([]byte(tok))
			if !ok || subtle.ConstantTimeCompare(got[:], h.token[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="switchyard-admin"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", "Missing or wrong admin token: send Authorization: Bearer <admin.token>.")
				return
			}
		}
		next(w, r)
	})
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := report.ParseQuery(v.Get("from"), v.Get("to"), v.Get("group_by"), v.Get("format"), "json", h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	rows, err := h.store.Usage(r.Context(), store.UsageQuery{From: q.From, To: q.To, GroupBy: q.GroupBy})
	if err != nil {
		h.storeError(w, err)
		return
	}
	rep := report.NewUsage(q, rows)
	switch q.Format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "table":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/json")
	}
	rep.Write(w, q.Format)
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("request_id")
	if id == "" {
		h.recentEvents(w, r)
		return
	}
	es, err := h.store.Events(r.Context(), id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": id, "events": report.Events(es)})
}

func (h *Handler) storeError(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrBadQuery) {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	h.log.Error("admin: store", "err", err)
	writeError(w, http.StatusInternalServerError, "store_error", "The store could not answer; see the gateway's log.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
