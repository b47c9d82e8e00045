package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/store"
)

// The plans API. Plans and assignments made here are in force beside the
// config's (plan.Live), across reloads, and are stored (store.AdminPlans):
// LoadPlans puts them back at start-up. A config plan cannot be replaced
// here.

// planRoutes registers the plan endpoints; a nil live answers 503.
func (h *Handler) planRoutes(live *plan.Live) {
	p := &planAPI{h: h, live: live}
	for pattern, fn := range map[string]http.HandlerFunc{
		"GET /admin/v1/plans":              p.list,
		"POST /admin/v1/plans":             p.create,
		"GET /admin/v1/plans/{id}":         p.get,
		"POST /admin/v1/tenants/{id}/plan": p.assign,
		"GET /admin/v1/tenants/{id}/plan":  p.tenantPlan,
	} {
		h.mux.Handle(pattern, h.authed(p.need(fn)))
	}
}

// PlanRoutes lists the plan endpoints, for tests that try each one.
func PlanRoutes() []string {
	return []string{"GET /admin/v1/plans", "POST /admin/v1/plans", "GET /admin/v1/plans/{id}",
		"POST /admin/v1/tenants/{id}/plan", "GET /admin/v1/tenants/{id}/plan"}
}

type planAPI struct {
	h    *Handler
	live *plan.Live
}

func (p *planAPI) need(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p.live == nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", "Plans are not served by this admin listener.")
			return
		}
		fn(w, r)
	}
}

// ratesJSON is a per-token price in USD per million tokens, as in config.
type ratesJSON struct {
	Model       string `json:"model"`
	Input       string `json:"input"`
	CachedInput string `json:"cached_input,omitempty"` // default: input
	CacheWrite  string `json:"cache_write,omitempty"`  // default: input
	Output      string `json:"output"`
	Reasoning   string `json:"reasoning,omitempty"` // default: output
}

type planVersionJSON struct {
	ID             string      `json:"id,omitempty"` // output only
	From           *time.Time  `json:"from,omitempty"`
	Prices         []ratesJSON `json:"prices"`
	Markup         string      `json:"markup"`
	MonthlyMinimum string      `json:"monthly_minimum"`
	IncludedCredit string      `json:"included_credit"`
	RequestFee     string      `json:"request_fee"`
}

type planJSON struct {
	ID       string            `json:"id"`
	Source   string            `json:"source,omitempty"` // config | admin; output only
	Versions []planVersionJSON `json:"versions"`
}

type assignmentJSON struct {
	Tenant     string     `json:"tenant"`
	Plan       string     `json:"plan"`
	From       *time.Time `json:"from"`
	To         *time.Time `json:"to"`
	Experiment string     `json:"experiment,omitempty"`
	Arm        string     `json:"arm,omitempty"`
}

// assignment is the plan assignment b describes.
func (b *assignmentJSON) assignment() plan.Assignment {
	a := plan.Assignment{Tenant: b.Tenant, Plan: b.Plan, Experiment: b.Experiment, Arm: b.Arm}
	if b.From != nil {
		a.From = b.From.UTC()
	}
	if b.To != nil {
		a.To = b.To.UTC()
	}
	return a
}

func timeOut(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func assignmentOut(a plan.Assignment) assignmentJSON {
	return assignmentJSON{Tenant: a.Tenant, Plan: a.Plan, From: timeOut(a.From), To: timeOut(a.To), Experiment: a.Experiment, Arm: a.Arm}
}

func (p *planAPI) planOut(pl *plan.Plan) planJSON {
	out := planJSON{ID: pl.Name, Source: "admin", Versions: []planVersionJSON{}}
	if p.live.IsBase(pl.Name) {
		out.Source = "config"
	}
	for _, v := range pl.Versions {
		vj := planVersionJSON{ID: v.ID, From: timeOut(v.From), Prices: []ratesJSON{}, Markup: plan.FormatMarkup(v.Terms.Markup),
			MonthlyMinimum: v.Terms.MonthlyMinimum.String(), IncludedCredit: v.Terms.IncludedCredit.String(), RequestFee: v.Terms.RequestFee.String()}
		for _, mp := range v.Terms.Prices {
			r := mp.Rates
			vj.Prices = append(vj.Prices, ratesJSON{Model: mp.Model, Input: r.Input.PerMillion(), CachedInput: r.CachedInput.PerMillion(),
				CacheWrite: r.CacheWrite.PerMillion(), Output: r.Output.PerMillion(), Reasoning: r.Reasoning.PerMillion()})
		}
		out.Versions = append(out.Versions, vj)
	}
	return out
}

func (p *planAPI) list(w http.ResponseWriter, r *http.Request) {
	b := p.live.Load()
	out := []planJSON{}
	for _, pl := range b.Plans() {
		out = append(out, p.planOut(pl))
	}
	as := []assignmentJSON{}
	for _, a := range b.Assignments() {
		as = append(as, assignmentOut(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"plans": out, "assignments": as})
}

func (p *planAPI) get(w http.ResponseWriter, r *http.Request) {
	b := p.live.Load()
	pl, ok := b.Plan(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "No plan "+strconv.Quote(r.PathValue("id"))+".")
		return
	}
	as := []assignmentJSON{}
	for _, a := range b.Assignments() {
		if a.Plan == pl.Name {
			as = append(as, assignmentOut(a))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"plan": p.planOut(pl), "assignments": as})
}

// perMillion parses a rate field; empty gives def (the config's defaults).
func perMillion(field, s string, def money.Price, required bool) (money.Price, error) {
	if s == "" {
		if required {
			return 0, &fieldError{field, `is required, in USD per million tokens ("0" if free)`}
		}
		return def, nil
	}
	v, err := money.ParsePerMillion(s)
	if err != nil {
		return 0, &fieldError{field, err.Error()}
	}
	return v, nil
}

func usdField(field, s string) (money.Nanos, error) {
	if s == "" {
		return 0, nil
	}
	n, err := access.ParseUSD(s)
	if err != nil {
		return 0, &fieldError{field, err.Error()}
	}
	return n, nil
}

// terms checks one version's body.
func (vj *planVersionJSON) terms(field string) (plan.Terms, error) {
	var t plan.Terms
	var err error
	if vj.Markup != "" {
		if t.Markup, err = plan.ParseMarkup(vj.Markup); err != nil {
			return t, &fieldError{field + ".markup", err.Error()}
		}
	}
	if t.MonthlyMinimum, err = usdField(field+".monthly_minimum", vj.MonthlyMinimum); err != nil {
		return t, err
	}
	if t.IncludedCredit, err = usdField(field+".included_credit", vj.IncludedCredit); err != nil {
		return t, err
	}
	if t.RequestFee, err = usdField(field+".request_fee", vj.RequestFee); err != nil {
		return t, err
	}
	seen := map[string]bool{}
	for i, rj := range vj.Prices {
		f := field + ".prices[" + strconv.Itoa(i) + "]"
		if rj.Model == "" {
			return t, &fieldError{f + ".model", "is required: a public model name or a glob such as \"claude-*\""}
		}
		if _, err := path.Match(rj.Model, ""); err != nil {
			return t, &fieldError{f + ".model", "is not a valid glob"}
		}
		if seen[rj.Model] {
			return t, &fieldError{f + ".model", "is priced twice"}
		}
		seen[rj.Model] = true
		var rt price.Rates
		if rt.Input, err = perMillion(f+".input", rj.Input, 0, true); err != nil {
			return t, err
		}
		if rt.Output, err = perMillion(f+".output", rj.Output, 0, true); err != nil {
			return t, err
		}
		if rt.CachedInput, err = perMillion(f+".cached_input", rj.CachedInput, rt.Input, false); err != nil {
			return t, err
		}
		if rt.CacheWrite, err = perMillion(f+".cache_write", rj.CacheWrite, rt.Input, false); err != nil {
			return t, err
		}
		if rt.Reasoning, err = perMillion(f+".reasoning", rj.Reasoning, rt.Output, false); err != nil {
			return t, err
		}
		t.Prices = append(t.Prices, plan.ModelPrice{Model: rj.Model, Rates: rt})
	}
	return t, nil
}

// create adds a plan, or replaces one made here (post it again with a new
// version appended to change its terms from a date).
func (p *planAPI) create(w http.ResponseWriter, r *http.Request) {
	var b planJSON
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	if b.Source != "" {
		writeFieldError(w, &fieldError{"source", "is output only"})
		return
	}
	if p.live.IsBase(b.ID) {
		writeError(w, http.StatusConflict, "conflict", "Plan "+strconv.Quote(b.ID)+" comes from the config: change it there.")
		return
	}
	pl, err := buildPlan(&b)
	if err != nil {
		writeFieldError(w, err)
		return
	}
	if err := p.live.AddPlan(pl); err != nil {
		// Assignments already made may no longer fit (a first version moved later).
		writeError(w, http.StatusConflict, "conflict", err.Error())
		return
	}
	if !p.save(w, r, store.PlanDocPlan, pl.Name, b) {
		return
	}
	p.h.changed()
	p.h.log.Info("plan saved", "plan", pl.Name, "versions", len(pl.Versions))
	saved, _ := p.live.Load().Plan(pl.Name)
	writeJSON(w, http.StatusCreated, p.planOut(saved))
}

// buildPlan checks a posted plan and builds it; the same checks run when a
// stored one is replayed at start-up (LoadPlans).
func buildPlan(b *planJSON) (plan.Plan, error) {
	if err := checkName("id", b.ID); err != nil {
		return plan.Plan{}, err
	}
	if len(b.Versions) == 0 {
		return plan.Plan{}, &fieldError{"versions", "at least one version is required, such as [{\"markup\": \"+25%\"}]"}
	}
	pl := plan.Plan{Name: b.ID}
	for i := range b.Versions {
		vj := &b.Versions[i]
		f := "versions[" + strconv.Itoa(i) + "]"
		if vj.ID != "" {
			return plan.Plan{}, &fieldError{f + ".id", "is output only: ids are derived from the terms"}
		}
		t, err := vj.terms(f)
		if err != nil {
			return plan.Plan{}, err
		}
		var from time.Time
		if vj.From != nil {
			from = vj.From.UTC()
		}
		if i > 0 && (from.IsZero() || !from.After(pl.Versions[i-1].From)) {
			return plan.Plan{}, &fieldError{f + ".from", "must be after the previous version's from: versions are listed oldest first"}
		}
		pl.Versions = append(pl.Versions, plan.NewVersion(b.ID, from, t))
	}
	return pl, nil
}

// save stores what the API accepted, so that it outlives a restart. When the
// store refuses, the change is in force on this replica only, and the answer
// says so rather than pretending it was kept.
func (p *planAPI) save(w http.ResponseWriter, r *http.Request, kind, name string, doc any) bool {
	if p.h.planDocs == nil {
		return true
	}
	b, err := json.Marshal(doc)
	if err == nil {
		err = p.h.planDocs.SavePlanDoc(r.Context(), store.PlanDoc{Kind: kind, Name: name, Doc: string(b)})
	}
	if err != nil {
		p.h.log.Error("plan change not stored: in force on this replica until it restarts", "kind", kind, "name", name, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"The "+kind+" is in force on this replica but could not be stored, so a restart would lose it: retry.")
		return false
	}
	return true
}

// LoadPlans puts the plans and assignments stored through the admin API back
// in force, through the same checks the API made. One that no longer fits
// (the config now has a plan of that name, say) is logged and skipped, not
// dropped: it stays in the store.
func LoadPlans(ctx context.Context, docs store.AdminPlans, live *plan.Live, log *slog.Logger) error {
	ds, err := docs.PlanDocs(ctx)
	if err != nil {
		return fmt.Errorf("admin: load plans: %w", err)
	}
	for _, d := range ds {
		switch d.Kind {
		case store.PlanDocPlan:
			var b planJSON
			err = json.Unmarshal([]byte(d.Doc), &b)
			if err == nil && live.IsBase(b.ID) {
				err = fmt.Errorf("the config now has a plan %q", b.ID)
			}
			if err == nil {
				var pl plan.Plan
				if pl, err = buildPlan(&b); err == nil {
					err = live.AddPlan(pl)
				}
			}
		case store.PlanDocAssignment:
			var b assignmentJSON
			if err = json.Unmarshal([]byte(d.Doc), &b); err == nil {
				err = live.Assign(b.assignment())
			}
		}
		if err != nil {
			log.Error("stored plan change not put back in force", "kind", d.Kind, "name", d.Name, "err", err)
			err = nil
		}
	}
	return nil
}

// tenantExists checks the tenant against the store when there is one.
func (p *planAPI) tenantExists(w http.ResponseWriter, r *http.Request, id string) (store.Tenant, bool) {
	if p.h.keys == nil {
		return store.Tenant{ID: id}, true
	}
	t, err := p.h.keys.GetTenant(r.Context(), id)
	if err != nil {
		p.h.accessError(w, err, "tenant", id)
		return t, false
	}
	return t, true
}

func (p *planAPI) tenantPlan(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := p.tenantExists(w, r, id); !ok {
		return
	}
	b := p.live.Load()
	as := []assignmentJSON{}
	for _, a := range b.Assignments() {
		if a.Tenant == id {
			as = append(as, assignmentOut(a))
		}
	}
	var current any
	if a, ok := b.Assignment(id, p.h.now()); ok {
		current = assignmentOut(*a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": id, "current": current, "assignments": as})
}

// assign puts a tenant on a plan from a date (default now), until to or
// its next assignment, optionally as an experiment's arm. When the
// assignment is in force now, the tenant's plan field follows it.
func (p *planAPI) assign(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var b assignmentJSON
	if err := decode(r, &b); err != nil {
		writeFieldError(w, err)
		return
	}
	if b.Tenant != "" && b.Tenant != id {
		writeFieldError(w, &fieldError{"tenant", "is the path's tenant; leave it out"})
		return
	}
	if b.Plan == "" {
		writeFieldError(w, &fieldError{"plan", "is required: a plan's id"})
		return
	}
	if (b.Experiment == "") != (b.Arm == "") {
		writeFieldError(w, &fieldError{"arm", "experiment and arm go together: give both or neither"})
		return
	}
	t, ok := p.tenantExists(w, r, id)
	if !ok {
		return
	}
	now := p.h.now().UTC()
	b.Tenant = id
	if b.From == nil {
		b.From = &now // stored as made: a replay must not move it to its own now
	}
	a := b.assignment()
	if _, known := p.live.Load().Plan(b.Plan); !known {
		writeFieldError(w, &fieldError{"plan", "unknown plan " + strconv.Quote(b.Plan)})
		return
	}
	if err := p.live.Assign(a); err != nil {
		switch {
		case errors.Is(err, plan.ErrOverlap), errors.Is(err, plan.ErrNoVersion):
			writeError(w, http.StatusConflict, "conflict", err.Error())
		default:
			writeFieldError(w, err)
		}
		return
	}
	if !p.save(w, r, store.PlanDocAssignment, id+"|"+a.Plan+"|"+a.From.Format(time.RFC3339Nano), b) {
		return
	}
	if cur, ok := p.live.Load().Assignment(id, now); ok && p.h.keys != nil && t.Plan != cur.Plan {
		t.Plan, t.UpdatedAt = cur.Plan, now
		if err := p.h.keys.UpdateTenant(r.Context(), t); err != nil {
			p.h.accessError(w, err, "tenant", id)
			return
		}
	}
	p.h.changed()
	p.h.log.Info("tenant assigned a plan", "tenant", id, "plan", a.Plan, "from", a.From, "arm", a.Arm)
	writeJSON(w, http.StatusCreated, assignmentOut(a))
}
