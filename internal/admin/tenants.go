package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// The tenants and keys API. Secrets appear in the answers to key creation
// and rotation only; the store keeps their digests under the pepper.

// DefaultGrace is how long a rotated-out secret keeps working.
const DefaultGrace = 24 * time.Hour

// maxGrace bounds a rotation's grace period.
const maxGrace = 30 * 24 * time.Hour

var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// tenantRoutes registers the tenant and key endpoints.
func (h *Handler) tenantRoutes() {
	for pattern, fn := range map[string]http.HandlerFunc{
		"POST /admin/v1/tenants":              h.createTenant,
		"GET /admin/v1/tenants":               h.listTenants,
		"GET /admin/v1/tenants/{id}":          h.getTenant,
		"PATCH /admin/v1/tenants/{id}":        h.patchTenant,
		"POST /admin/v1/tenants/{id}/disable": h.setStatus(store.TenantDisabled),
		"POST /admin/v1/tenants/{id}/enable":  h.setStatus(store.TenantActive),
		"POST /admin/v1/tenants/{id}/keys":    h.createKey,
		"GET /admin/v1/tenants/{id}/keys":     h.listKeys,
		"GET /admin/v1/keys/{id}":             h.getKey,
		"PATCH /admin/v1/keys/{id}":           h.patchKey,
		"POST /admin/v1/keys/{id}/rotate":     h.rotateKey,
		"POST /admin/v1/keys/{id}/revoke":     h.revokeKey,
	} {
		h.mux.Handle(pattern, h.authed(h.needTenants(fn)))
	}
}

// TenantRoutes lists the tenant and key endpoints (method and pattern), for
// tests that try each one.
func TenantRoutes() []string {
	return []string{
		"POST /admin/v1/tenants", "GET /admin/v1/tenants", "GET /admin/v1/tenants/{id}", "PATCH /admin/v1/tenants/{id}",
		"POST /admin/v1/tenants/{id}/disable", "POST /admin/v1/tenants/{id}/enable",
		"POST /admin/v1/tenants/{id}/keys", "GET /admin/v1/tenants/{id}/keys",
		"GET /admin/v1/keys/{id}", "PATCH /admin/v1/keys/{id}", "POST /admin/v1/keys/{id}/rotate", "POST /admin/v1/keys/{id}/revoke",
	}
}

func (h *Handler) needTenants(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.keys == nil || h.ring == nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", "Tenants and keys need the store and the keyring; this admin listener has neither.")
			return
		}
		fn(w, r)
	}
}

// changed tells the gateway to reload its keyring before the answer goes
// out, so that a key revoked here is refused by the next request.
func (h *Handler) changed() {
	if h.onChange != nil {
		h.onChange()
	}
}

// fieldError is a validation error naming the field at fault.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func writeFieldError(w http.ResponseWriter, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{
			"code": "invalid_field", "param": fe.field, "message": fe.Error()}})
		return
	}
	writeError(w, http.StatusBadRequest, "invalid_body", err.Error())
}

// decode reads a JSON body strictly: unknown fields and wrong types are
// errors naming the field. An empty body decodes as {}.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &fieldError{te.Field, "want " + te.Type.String() + ", got JSON " + te.Value}
	}
	if err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return &fieldError{f, "unknown field"}
		}
		return fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// limitsJSON and budgetJSON are the wire forms of the settings.
type limitsJSON struct {
	RPM        int64 `json:"rpm"`
	TPM        int64 `json:"tpm"`
	Concurrent int64 `json:"concurrent"`
}

type budgetJSON struct {
	USD    string `json:"usd"`
	Period string `json:"period"`
	TZ     string `json:"tz,omitempty"`
	Hard   bool   `json:"hard"`
}

func (l *limitsJSON) settings(field string) (access.Limits, error) {
	if l == nil {
		return access.Limits{}, nil
	}
	for name, v := range map[string]int64{"rpm": l.RPM, "tpm": l.TPM, "concurrent": l.Concurrent} {
		if v < 0 {
			return access.Limits{}, &fieldError{field + "." + name, "must be 0 (no limit) or more"}
		}
	}
	return access.Limits{RPM: l.RPM, TPM: l.TPM, Concurrent: l.Concurrent}, nil
}

func limitsOut(l access.Limits) limitsJSON {
	return limitsJSON{RPM: l.RPM, TPM: l.TPM, Concurrent: l.Concurrent}
}

// settings validates a budget; nil or a zero amount is no budget. The
// period defaults to a calendar month.
func (b *budgetJSON) settings(field string) (access.Budget, error) {
	if b == nil {
		return access.Budget{}, nil
	}
	usd, err := access.ParseUSD(b.USD)
	if err != nil {
		return access.Budget{}, &fieldError{field + ".usd", err.Error()}
	}
	if b.Period == "" {
		b.Period = "month"
	}
	if _, err := budget.ParsePeriod(b.Period, ""); err != nil {
		return access.Budget{}, &fieldError{field + ".period", "want day, week, month, rolling:Nd or lifetime"}
	}
	if b.TZ != "" {
		if _, err := time.LoadLocation(b.TZ); err != nil {
			return access.Budget{}, &fieldError{field + ".tz", "unknown time zone " + strconv.Quote(b.TZ) + " (want an IANA name such as Europe/Paris)"}
		}
	}
	return access.Budget{USD: usd, Period: b.Period, TZ: b.TZ, Hard: b.Hard}, nil
}

func budgetOut(b access.Budget) *budgetJSON {
	if b.IsZero() {
		return nil
	}
	return &budgetJSON{USD: b.USD.String(), Period: b.Period, TZ: b.TZ, Hard: b.Hard}
}

// BudgetSpend tells a budget's spend in its current period and when that
// period resets (zero for lifetime), from the books admission enforces, the
// ones GET /v1/key reads. scope is "key:"+key id or "tenant:"+tenant id; ok
// is false when the spend is unknown.
type BudgetSpend interface {
	Spend(ctx context.Context, scope string, b access.Budget, now time.Time) (spent money.Nanos, resets time.Time, ok bool)
}

// budgetUsedJSON is a budget's use in its current period, on the tenant
// and key read endpoints.
type budgetUsedJSON struct {
	SpendUSD     string  `json:"spend_usd"`
	SpendNanos   int64   `json:"spend_nanos"`
	RemainingUSD string  `json:"remaining_usd"`
	UsedPercent  float64 `json:"used_percent"` // of the budget, past 100 when a soft budget is overspent
	// PeriodStart and ResetsAt bound the current period; both null for a
	// lifetime budget.
	PeriodStart *time.Time `json:"period_start"`
	ResetsAt    *time.Time `json:"resets_at"`
}

// budgetUsed reads b's spend for scope, or nil when there is no budget or
// no way to know its spend.
func (h *Handler) budgetUsed(ctx context.Context, scope string, b access.Budget, now time.Time) *budgetUsedJSON {
	if b.IsZero() || h.budgets == nil {
		return nil
	}
	p, err := budget.ParsePeriod(b.Period, b.TZ)
	if err != nil {
		return nil
	}
	spent, resets, ok := h.budgets.Spend(ctx, scope, b, now)
	if !ok {
		return nil
	}
	start, _ := p.Window(now)
	out := &budgetUsedJSON{SpendUSD: spent.String(), SpendNanos: int64(spent), RemainingUSD: max(b.USD-spent, 0).String(),
		PeriodStart: timePtr(start.UTC()), ResetsAt: timePtr(resets.UTC())}
	if b.USD > 0 {
		// A ratio for display, to 0.01%; the amounts stay exact above.
		out.UsedPercent = math.Round(float64(spent)/float64(b.USD)*10000) / 100
	}
	return out
}

func checkList(field string, list []string) error {
	for i, s := range list {
		if strings.TrimSpace(s) == "" || len(s) > 200 {
			return &fieldError{field + "[" + strconv.Itoa(i) + "]", "want a non-empty name of at most 200 characters"}
		}
	}
	return nil
}

func checkName(field, name string) error {
	if !namePattern.MatchString(name) {
		return &fieldError{field, "want 1 to 64 letters, digits, '.', '_' or '-'"}
	}
	return nil
}

// tenantJSON is a tenant on the wire.
type tenantJSON struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Status           string            `json:"status"`
	Plan             string            `json:"plan"`
	AllowedModels    []string          `json:"allowed_models"`
	AllowedProviders []string          `json:"allowed_providers"`
	AllowedRegions   []string          `json:"allowed_regions"`
	Tags             []string          `json:"tags"`
	Metadata         map[string]string `json:"metadata"`
	Limits           limitsJSON        `json:"limits"`
	Budget           *budgetJSON       `json:"budget"`
	// BudgetUsed is set by the read endpoints when the budget's books
	// are known.
	BudgetUsed *budgetUsedJSON `json:"budget_used,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func tenantOut(t store.Tenant) tenantJSON {
	md := t.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return tenantJSON{ID: t.ID, Name: t.Name, Status: t.Status, Plan: t.Plan,
		AllowedModels: orEmpty(t.AllowedModels), AllowedProviders: orEmpty(t.AllowedProviders), AllowedRegions: orEmpty(t.AllowedRegions),
		Tags: orEmpty(t.Tags), Metadata: md, Limits: limitsOut(t.Limits), Budget: budgetOut(t.Budget),
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// tenantBody is a tenant's create or patch body; nil fields are left as
// they are (patch) or empty (create).
type tenantBody struct {
	Name             *string            `json:"name"`
	Status           *string            `json:"status"`
	Plan             *string            `json:"plan"`
	AllowedModels    *[]string          `json:"allowed_models"`
	AllowedProviders *[]string          `json:"allowed_providers"`
	AllowedRegions   *[]string          `json:"allowed_regions"`
	Tags             *[]string          `json:"tags"`
	Metadata         *map[string]string `json:"metadata"`
	Limits           *limitsJSON        `json:"limits"`
	// Budget is raw so that a patch can clear it with null.
	Budget json.RawMessage `json:"budget"`
}

// apply writes b's fields onto t.
func (b *tenantBody) apply(t *store.Tenant) error {
	if b.Name != nil {
		if err := checkName("name", *b.Name); err != nil {
			return err
		}
		t.Name = *b.Name
	}
	if b.Status != nil {
		if *b.Status != store.TenantActive && *b.Status != store.TenantDisabled {
			return &fieldError{"status", "want active or disabled"}
		}
		t.Status = *b.Status
	}
	if b.Plan != nil {
		t.Plan = *b.Plan
	}
	for _, l := range []struct {
		field string
		in    *[]string
		out   *[]string
	}{
		{"allowed_models", b.AllowedModels, &t.AllowedModels},
		{"allowed_providers", b.AllowedProviders, &t.AllowedProviders},
		{"allowed_regions", b.AllowedRegions, &t.AllowedRegions},
		{"tags", b.Tags, &t.Tags},
	} {
		if l.in != nil {
			if err := checkList(l.field, *l.in); err != nil {
				return err
			}
			*l.out = *l.in
		}
	}
	if b.Metadata != nil {
		t.Metadata = *b.Metadata
	}
	if b.Limits != nil {
		l, err := b.Limits.settings("limits")
		if err != nil {
			return err
		}
		t.Limits = l
	}
	bud, set, err := budgetField(b.Budget, "budget")
	if err != nil {
		return err
	}
	if set {
		t.Budget = bud
	}
	return nil
}

// budgetField reads a raw budget: absent leaves it, null clears it.
func budgetField(raw json.RawMessage, field string) (access.Budget, bool, error) {
	if len(raw) == 0 {
		return access.Budget{}, false, nil
	}
	if string(raw) == "null" {
		return access.Budget{}, true, nil
	}
	var bj budgetJSON
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return access.Budget{}, false, &fieldError{field + "." + te.Field, "want " + te.Type.String() + ", got JSON " + te.Value}
		}
		return access.Budget{}, false, &fieldError{field, strings.TrimPrefix(err.Error(), "json: ")}
	}
	b, err := bj.settings(field)
	return b, true, err
}

func (h *Handler) createTenant(w http.ResponseWriter, r *http.Request) {
	var b tenantBody
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	if b.Name == nil {
		writeFieldError(w, &fieldError{"name", "is required"})
		return
	}
	now := h.now().UTC()
	t := store.Tenant{ID: access.NewID("t_", now), Status: store.TenantActive, CreatedAt: now, UpdatedAt: now}
	if err := b.apply(&t); err != nil {
		writeFieldError(w, err)
		return
	}
	if err := h.keys.CreateTenant(r.Context(), t); err != nil {
		h.accessError(w, err, "tenant", t.Name)
		return
	}
	h.changed()
	h.log.Info("tenant created", "tenant", t.ID, "name", t.Name)
	writeJSON(w, http.StatusCreated, tenantOut(t))
}

func (h *Handler) getTenant(w http.ResponseWriter, r *http.Request) {
	t, err := h.keys.GetTenant(r.Context(), r.PathValue("id"))
	if err != nil {
		h.accessError(w, err, "tenant", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, h.tenantRead(r.Context(), t, h.now()))
}

// tenantRead is a tenant as the read endpoints show it: with its budget's
// use.
func (h *Handler) tenantRead(ctx context.Context, t store.Tenant, now time.Time) tenantJSON {
	out := tenantOut(t)
	out.BudgetUsed = h.budgetUsed(ctx, "tenant:"+t.ID, t.Budget, now)
	return out
}

// keyRead is keyOut with the key's budget's use.
func (h *Handler) keyRead(ctx context.Context, k store.Key, now time.Time) keyJSON {
	out := keyOut(k, now)
	out.BudgetUsed = h.budgetUsed(ctx, "key:"+k.ID, k.Budget, now)
	return out
}

func (h *Handler) patchTenant(w http.ResponseWriter, r *http.Request) {
	var b tenantBody
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	h.updateTenant(w, r, b.apply)
}

func (h *Handler) setStatus(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.updateTenant(w, r, func(t *store.Tenant) error { t.Status = status; return nil })
	}
}

func (h *Handler) updateTenant(w http.ResponseWriter, r *http.Request, edit func(*store.Tenant) error) {
	id := r.PathValue("id")
	t, err := h.keys.GetTenant(r.Context(), id)
	if err != nil {
		h.accessError(w, err, "tenant", id)
		return
	}
	if err := edit(&t); err != nil {
		writeFieldError(w, err)
		return
	}
	t.UpdatedAt = h.now().UTC()
	if err := h.keys.UpdateTenant(r.Context(), t); err != nil {
		h.accessError(w, err, "tenant", t.Name)
		return
	}
	h.changed()
	h.log.Info("tenant updated", "tenant", t.ID, "status", t.Status)
	writeJSON(w, http.StatusOK, tenantOut(t))
}

// page reads ?limit= and ?cursor=.
func page(r *http.Request) (limit int, cursor string, err error) {
	limit = 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, "", &fieldError{"limit", "want a whole number from 1 to 1000"}
		}
		limit = n
	}
	return limit, r.URL.Query().Get("cursor"), nil
}

// list answers one page: it reads one item more than asked to know
// whether a next page exists.
func list[T any](w http.ResponseWriter, items []T, limit int, id func(T) string, out func(T) any) {
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = id(items[len(items)-1])
	}
	data := make([]any, 0, len(items))
	for _, it := range items {
		data = append(data, out(it))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": next})
}

func (h *Handler) listTenants(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := page(r)
	if err != nil {
		writeFieldError(w, err)
		return
	}
	ts, err := h.keys.ListTenants(r.Context(), cursor, limit+1)
	if err != nil {
		h.accessError(w, err, "tenants", "")
		return
	}
	now := h.now()
	list(w, ts, limit, func(t store.Tenant) string { return t.ID }, func(t store.Tenant) any { return h.tenantRead(r.Context(), t, now) })
}

// keyJSON is a key on the wire; Key (the secret) is set in the answers to
// creation and rotation only.
type keyJSON struct {
	ID            string      `json:"id"`
	Key           string      `json:"key,omitempty"`
	TenantID      string      `json:"tenant_id"`
	Name          string      `json:"name"`
	Prefix        string      `json:"prefix"`
	Status        string      `json:"status"` // active | expired | revoked
	AllowedModels []string    `json:"allowed_models"`
	Limits        limitsJSON  `json:"limits"`
	Budget        *budgetJSON `json:"budget"`
	// BudgetUsed is set by the read endpoints when the budget's books
	// are known.
	BudgetUsed *budgetUsedJSON `json:"budget_used,omitempty"`
	ExpiresAt  *time.Time      `json:"expires_at"`
	RevokedAt  *time.Time      `json:"revoked_at"`
	LastUsedAt *time.Time      `json:"last_used_at"`
	// PreviousValidUntil is when the secret a rotation replaced stops working.
	PreviousValidUntil *time.Time `json:"previous_valid_until,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func keyOut(k store.Key, now time.Time) keyJSON {
	status := "active"
	switch {
	case !k.RevokedAt.IsZero():
		status = "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		status = "expired"
	}
	out := keyJSON{ID: k.ID, TenantID: k.TenantID, Name: k.Name, Prefix: k.Prefix + "…", Status: status,
		AllowedModels: orEmpty(k.AllowedModels), Limits: limitsOut(k.Limits), Budget: budgetOut(k.Budget),
		ExpiresAt: timePtr(k.ExpiresAt), RevokedAt: timePtr(k.RevokedAt), LastUsedAt: timePtr(k.LastUsedAt),
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
	if len(k.PrevDigest) > 0 && now.Before(k.PrevUntil) {
		out.PreviousValidUntil = timePtr(k.PrevUntil)
	}
	return out
}

// keyBody is a key's create or patch body.
type keyBody struct {
	Name          *string         `json:"name"`
	ExpiresAt     *time.Time      `json:"expires_at"`
	ExpiresIn     *string         `json:"expires_in"` // a Go duration from now, such as "720h"
	AllowedModels *[]string       `json:"allowed_models"`
	Limits        *limitsJSON     `json:"limits"`
	Budget        json.RawMessage `json:"budget"`
}

func (b *keyBody) apply(k *store.Key, now time.Time) error {
	if b.Name != nil {
		if err := checkName("name", *b.Name); err != nil {
			return err
		}
		k.Name = *b.Name
	}
	if b.ExpiresAt != nil && b.ExpiresIn != nil {
		return &fieldError{"expires_in", "give expires_at or expires_in, not both"}
	}
	if b.ExpiresAt != nil {
		k.ExpiresAt = b.ExpiresAt.UTC()
	}
	if b.ExpiresIn != nil {
		d, err := time.ParseDuration(*b.ExpiresIn)
		if err != nil || d <= 0 {
			return &fieldError{"expires_in", "want a positive duration such as \"720h\""}
		}
		k.ExpiresAt = now.Add(d)
	}
	if b.AllowedModels != nil {
		if err := checkList("allowed_models", *b.AllowedModels); err != nil {
			return err
		}
		k.AllowedModels = *b.AllowedModels
	}
	if b.Limits != nil {
		l, err := b.Limits.settings("limits")
		if err != nil {
			return err
		}
		k.Limits = l
	}
	bud, set, err := budgetField(b.Budget, "budget")
	if err != nil {
		return err
	}
	if set {
		k.Budget = bud
	}
	return nil
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	tid := r.PathValue("id")
	var b keyBody
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	if b.Name == nil {
		writeFieldError(w, &fieldError{"name", "is required"})
		return
	}
	now := h.now().UTC()
	k := store.Key{ID: access.NewID("k_", now), TenantID: tid, CreatedAt: now, UpdatedAt: now}
	if err := b.apply(&k, now); err != nil {
		writeFieldError(w, err)
		return
	}
	secret := access.NewKey()
	d := h.ring.Digest(secret)
	k.Digest, k.Prefix = d[:], access.Prefix(secret)
	if err := h.keys.CreateKey(r.Context(), k); err != nil {
		h.accessError(w, err, "tenant", tid)
		return
	}
	h.changed()
	h.log.Info("key created", "tenant", tid, "key_id", k.ID, "prefix", k.Prefix)
	out := keyOut(k, now)
	out.Key = secret
	writeJSON(w, http.StatusCreated, out)
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) {
	tid := r.PathValue("id")
	limit, cursor, err := page(r)
	if err != nil {
		writeFieldError(w, err)
		return
	}
	if _, err := h.keys.GetTenant(r.Context(), tid); err != nil {
		h.accessError(w, err, "tenant", tid)
		return
	}
	ks, err := h.keys.ListKeys(r.Context(), tid, cursor, limit+1)
	if err != nil {
		h.accessError(w, err, "keys", "")
		return
	}
	now := h.now()
	list(w, ks, limit, func(k store.Key) string { return k.ID }, func(k store.Key) any { return h.keyRead(r.Context(), k, now) })
}

func (h *Handler) getKey(w http.ResponseWriter, r *http.Request) {
	k, err := h.keys.GetKey(r.Context(), r.PathValue("id"))
	if err != nil {
		h.accessError(w, err, "key", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, h.keyRead(r.Context(), k, h.now()))
}

func (h *Handler) patchKey(w http.ResponseWriter, r *http.Request) {
	var b keyBody
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	h.updateKey(w, r, "updated", func(k *store.Key, now time.Time) (string, error) { return "", b.apply(k, now) })
}

func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Grace *string `json:"grace"`
	}
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	grace := DefaultGrace
	if b.Grace != nil {
		d, err := time.ParseDuration(*b.Grace)
		if err != nil || d < 0 || d > maxGrace {
			writeFieldError(w, &fieldError{"grace", "want a duration from \"0s\" to \"720h\", such as \"1h\""})
			return
		}
		grace = d
	}
	h.updateKey(w, r, "rotated", func(k *store.Key, now time.Time) (string, error) {
		if !k.RevokedAt.IsZero() {
			return "", errConflict("key " + k.ID + " is revoked; create a new key instead")
		}
		secret := access.NewKey()
		d := h.ring.Digest(secret)
		// Budget windows, limits and history stay with the key id; only the
		// secret changes. A second rotation within the grace period drops
		// the oldest secret. The old digest is kept past its grace (even a
		// zero one) so that the old secret is refused as expired, not as
		// unknown.
		k.PrevDigest, k.PrevUntil = k.Digest, now.Add(grace)
		k.Digest, k.Prefix = d[:], access.Prefix(secret)
		return secret, nil
	})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	h.updateKey(w, r, "revoked", func(k *store.Key, now time.Time) (string, error) {
		if !k.RevokedAt.IsZero() {
			return "", errConflict("key " + k.ID + " was revoked at " + k.RevokedAt.Format(time.RFC3339))
		}
		k.RevokedAt = now
		k.PrevDigest, k.PrevUntil = nil, time.Time{}
		return "", nil
	})
}

type conflictError string

func (e conflictError) Error() string { return string(e) }

func errConflict(msg string) error { return conflictError(msg) }

// updateKey reads, edits and writes one key; edit may return a new secret
// to show once.
func (h *Handler) updateKey(w http.ResponseWriter, r *http.Request, verb string, edit func(*store.Key, time.Time) (string, error)) {
	id := r.PathValue("id")
	k, err := h.keys.GetKey(r.Context(), id)
	if err != nil {
		h.accessError(w, err, "key", id)
		return
	}
	now := h.now().UTC()
	secret, err := edit(&k, now)
	var ce conflictError
	if errors.As(err, &ce) {
		writeError(w, http.StatusConflict, "conflict", ce.Error())
		return
	}
	if err != nil {
		writeFieldError(w, err)
		return
	}
	k.UpdatedAt = now
	if err := h.keys.UpdateKey(r.Context(), k); err != nil {
		h.accessError(w, err, "key", id)
		return
	}
	h.changed()
	h.log.Info("key "+verb, "tenant", k.TenantID, "key_id", k.ID, "prefix", k.Prefix)
	out := keyOut(k, now)
	out.Key = secret
	writeJSON(w, http.StatusOK, out)
}

// accessError answers a store error: 404 for an unknown id, 409 for a
// taken name, 500 (logged) for the rest.
func (h *Handler) accessError(w http.ResponseWriter, err error, what, name string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "No "+what+" "+strconv.Quote(name)+".")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "A "+what+" named "+strconv.Quote(name)+" already exists.")
	default:
		h.storeError(w, err)
	}
}
