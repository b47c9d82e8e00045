package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// SpendSource tells a budget's spend in its current period and when that
// period resets (zero for lifetime). scope is "key:"+KeyID or
// "tenant:"+TenantID, as internal/admit names them; ok is false when the
// spend is unknown, and GET /v1/key then omits it.
type SpendSource interface {
	Spend(ctx context.Context, scope string, b access.Budget, now time.Time) (spent money.Nanos, resets time.Time, ok bool)
}

// keyLimits is limits in GET /v1/key: the tighter of the key's and its
// tenant's, per dimension, with each side's own beside them.
type keyLimits struct {
	RPM        int64         `json:"rpm"`
	TPM        int64         `json:"tpm"`
	Concurrent int64         `json:"concurrent"`
	Key        access.Limits `json:"key"`
	Tenant     access.Limits `json:"tenant"`
}

type keyBudget struct {
	Scope    string     `json:"scope"` // key | tenant
	LimitUSD string     `json:"limit_usd"`
	Period   string     `json:"period"`
	TZ       string     `json:"tz,omitempty"`
	Hard     bool       `json:"hard"`
	SpendUSD *string    `json:"spend_usd,omitempty"`
	Remain   *string    `json:"remaining_usd,omitempty"`
	ResetsAt *time.Time `json:"resets_at,omitempty"`
}

type keyInfo struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	TenantID   string      `json:"tenant_id"`
	TenantName string      `json:"tenant_name"`
	Prefix     string      `json:"prefix"`
	Models     []string    `json:"allowed_models"`
	Limits     keyLimits   `json:"limits"`
	Budget     *keyBudget  `json:"budget"`  // the key's own, else its tenant's
	Budgets    []keyBudget `json:"budgets"` // every budget the key falls under
	ExpiresAt  *time.Time  `json:"expires_at"`
}

// key answers GET /v1/key: the calling key's own settings and spend, the
// shape OpenRouter's /api/v1/key has. It shows nothing of other keys.
func (s *Server) key(w http.ResponseWriter, r *http.Request) {
	rt := s.cur.Load()
	p := s.authenticate(rt, w, r, wire.OpenAI)
	if p == nil {
		return
	}
	now := time.Now()
	eff := access.Effective(p.Limits, p.TenantLimits)
	info := keyInfo{ID: p.KeyID, Name: p.Name, TenantID: p.TenantID, TenantName: p.TenantName, Prefix: p.Prefix + "…",
		Models: p.Models, Budgets: []keyBudget{},
		Limits: keyLimits{RPM: eff.RPM, TPM: eff.TPM, Concurrent: eff.Concurrent, Key: p.Limits, Tenant: p.TenantLimits}}
	if info.Models == nil {
		info.Models = p.TenantModels
	}
	if info.Models == nil {
		info.Models = []string{}
	}
	if !p.ExpiresAt.IsZero() {
		info.ExpiresAt = &p.ExpiresAt
	}
	for _, b := range []struct {
		scope, id string
		set       access.Budget
	}{{"key", "key:" + p.KeyID, p.Budget}, {"tenant", "tenant:" + p.TenantID, p.TenantBudget}} {
		if b.set.IsZero() {
			continue
		}
		kb := keyBudget{Scope: b.scope, LimitUSD: b.set.USD.String(), Period: b.set.Period, TZ: b.set.TZ, Hard: b.set.Hard}
		if src := s.opts.Spend; src != nil {
			if spent, resets, ok := src.Spend(r.Context(), b.id, b.set, now); ok {
				sp, rem := spent.String(), max(b.set.USD-spent, 0).String()
				kb.SpendUSD, kb.Remain = &sp, &rem
				if !resets.IsZero() {
					kb.ResetsAt = &resets
				}
			}
		}
		info.Budgets = append(info.Budgets, kb)
	}
	if len(info.Budgets) > 0 {
		info.Budget = &info.Budgets[0]
	}
	body, _ := json.Marshal(map[string]any{"data": info})
	writeJSON(w, http.StatusOK, body)
}

// modelsFor is the GET /v1/models answer for p: every model, or only those
// its key's and tenant's allowlists admit.
func (rt *routes) modelsFor(p *access.Principal) []byte {
	if len(p.Models) == 0 && len(p.TenantModels) == 0 {
		return rt.models
	}
	var list struct {
		Object string            `json:"object"`
		Data   []json.RawMessage `json:"data"`
	}
	list.Object, list.Data = "list", []json.RawMessage{}
	for _, m := range rt.table.Models() {
		if b, ok := rt.byID[m.Name]; ok && p.AllowsModel(m.Name) {
			list.Data = append(list.Data, b)
		}
	}
	b, _ := json.Marshal(list)
	return b
}

// modelFor answers GET /v1/models/{id} for p: a model outside its
// allowlists is not found, as for OpenAI.
func (rt *routes) modelFor(w http.ResponseWriter, p *access.Principal, id string) {
	if !p.AllowsModel(id) {
		writeError(w, modelNotFound(id))
		return
	}
	rt.model(w, id)
}
