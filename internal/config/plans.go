package config

import (
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
)

// Plan is what tenants on it are charged (internal/plan), in versions:
//
//	plans:
//	  - name: pro
//	    versions:
//	      - prices:                         # USD per million tokens, like price:
//	          - {model: gpt-4o, input: "3", output: "12"}
//	          - {model: "claude-*", input: "4", output: "20"}
//	        markup: "+25%"                  # every other model: its cost plus 25%
//	        request_fee: "0.001"            # USD per request
//	        monthly_minimum: "100"          # USD per calendar month (UTC)
//	        included_credit: "20"           # USD per month, used before the minimum
//	      - from: 2027-01-01                # a new version from that date
//	        markup: "+20%"
//
// The first version may omit from (in force since ever).
type Plan struct {
	Name     string        `yaml:"name"`
	Versions []PlanVersion `yaml:"versions"`
	Pos      Pos           `yaml:"-"`
}

// PlanVersion is one version of a plan's terms.
type PlanVersion struct {
	From   time.Time   `yaml:"from"`
	Prices []PlanPrice `yaml:"prices"`
	// Markup over cost for models no price names: "+25%", "-10%", "0%".
	// Empty: at cost.
	Markup         string      `yaml:"markup"`
	MonthlyMinimum money.Nanos `yaml:"monthly_minimum"`
	IncludedCredit money.Nanos `yaml:"included_credit"`
	RequestFee     money.Nanos `yaml:"request_fee"`
	Pos            Pos         `yaml:"-"`
}

// PlanPrice is a per-token price for a model or a family of models: model
// is a public model name or a glob ("claude-*"). An exact name wins over a
// glob; among globs, the first listed that matches. Rates default as in
// Price (cached and cache-write to input, reasoning to output).
type PlanPrice struct {
	Model       string      `yaml:"model"`
	Input       money.Price `yaml:"input"`
	CachedInput money.Price `yaml:"cached_input"`
	CacheWrite  money.Price `yaml:"cache_write"`
	Output      money.Price `yaml:"output"`
	Reasoning   money.Price `yaml:"reasoning"`
	LongContext *PriceTier  `yaml:"long_context"`
	Set         PriceFields `yaml:"-"`
	Pos         Pos         `yaml:"-"`
}

func (p *PlanPrice) given(key string) { p.Set.given(key) }

func (p *PlanPrice) price() Price {
	return Price{Input: p.Input, CachedInput: p.CachedInput, CacheWrite: p.CacheWrite, Output: p.Output, Reasoning: p.Reasoning,
		LongContext: p.LongContext, Set: p.Set, Pos: p.Pos}
}

// PlanAssignment puts a tenant (by name or id) on a plan from a date, until
// to (exclusive) or the tenant's next assignment. A tenant in a pricing
// experiment names the experiment and its arm.
//
//	plan_assignments:
//	  - {tenant: acme, plan: pro, from: 2026-12-01}
//	  - {tenant: globex, plan: pro-b, from: 2026-12-01, experiment: pricing-q1, arm: b}
type PlanAssignment struct {
	Tenant     string    `yaml:"tenant"`
	Plan       string    `yaml:"plan"`
	From       time.Time `yaml:"from"`
	To         time.Time `yaml:"to"`
	Experiment string    `yaml:"experiment"`
	Arm        string    `yaml:"arm"`
	Pos        Pos       `yaml:"-"`
}

// plans checks plans and plan_assignments.
func (v *validator) plans() {
	names := make(map[string]string)
	byName := make(map[string]*Plan)
	for i := range v.c.Plans {
		p := &v.c.Plans[i]
		k := "plans[" + strconv.Itoa(i) + "]"
		v.name(k+".name", p.Name, strconv.Quote(p.Name), p.Pos, names, namePattern)
		if _, dup := byName[p.Name]; !dup && p.Name != "" {
			byName[p.Name] = p
		}
		if len(p.Versions) == 0 {
			v.errorf(k+".versions", p.Pos, "at least one version is required: versions: [{markup: \"+25%%\"}]")
		}
		for j := range p.Versions {
			v.planVersion(k+".versions["+strconv.Itoa(j)+"]", p, j)
		}
	}
	type span struct {
		from, to time.Time
		key      string
		pos      Pos
	}
	byTenant := make(map[string][]span)
	for i := range v.c.PlanAssignments {
		a := &v.c.PlanAssignments[i]
		k := "plan_assignments[" + strconv.Itoa(i) + "]"
		if a.Tenant == "" {
			v.errorf(k+".tenant", a.Pos, "is required: a tenant's name or id")
		}
		p, known := byName[a.Plan]
		switch {
		case a.Plan == "":
			v.errorf(k+".plan", a.Pos, "is required: a plan's name")
		case !known:
			v.errorf(k+".plan", a.Pos, "unknown plan %s (plans: %s)", strconv.Quote(a.Plan), strings.Join(slices.Sorted(func(yield func(string) bool) {
				for n := range byName {
					if !yield(n) {
						return
					}
				}
			}), ", "))
		case len(p.Versions) > 0 && p.Versions[0].From.After(a.From):
			v.errorf(k+".from", a.Pos, "is before plan %s's first version (%s): the plan has no terms then", strconv.Quote(a.Plan), p.Versions[0].From.Format(time.RFC3339))
		}
		if !a.To.IsZero() && !a.To.After(a.From) {
			v.errorf(k+".to", a.Pos, "must be after from")
		}
		if (a.Experiment == "") != (a.Arm == "") {
			v.errorf(k+".arm", a.Pos, "experiment and arm go together: name both or neither")
		}
		if a.Tenant != "" {
			byTenant[a.Tenant] = append(byTenant[a.Tenant], span{a.From, a.To, k, a.Pos})
		}
	}
	for tenant, spans := range byTenant {
		slices.SortStableFunc(spans, func(x, y span) int { return x.from.Compare(y.from) })
		for i := 1; i < len(spans); i++ {
			prev, cur := spans[i-1], spans[i]
			if !cur.from.After(prev.from) || !prev.to.IsZero() && prev.to.After(cur.from) {
				v.errorf(cur.key+".from", cur.pos, "overlaps %s: tenant %s would be on two plans at once", prev.key, strconv.Quote(tenant))
			}
		}
	}
}

func (v *validator) planVersion(k string, p *Plan, j int) {
	ver := &p.Versions[j]
	if j > 0 {
		prev := p.Versions[j-1].From
		switch {
		case ver.From.IsZero():
			v.errorf(k+".from", ver.Pos, "is required after the first version: when do these terms take effect?")
		case !ver.From.After(prev):
			v.errorf(k+".from", ver.Pos, "must be after the previous version's from (%s): versions are listed oldest first", prev.Format(time.RFC3339))
		}
	}
	if ver.Markup != "" {
		if _, err := plan.ParseMarkup(ver.Markup); err != nil {
			v.errorf(k+".markup", ver.Pos, "%s", strings.TrimPrefix(err.Error(), "markup "))
		}
	}
	for name, n := range map[string]money.Nanos{"monthly_minimum": ver.MonthlyMinimum, "included_credit": ver.IncludedCredit, "request_fee": ver.RequestFee} {
		if n < 0 {
			v.errorf(k+"."+name, ver.Pos, "must not be negative")
		}
	}
	models := make(map[string]string)
	for i := range ver.Prices {
		pp := &ver.Prices[i]
		pk := k + ".prices[" + strconv.Itoa(i) + "]"
		switch _, err := path.Match(pp.Model, ""); {
		case pp.Model == "":
			v.errorf(pk+".model", pp.Pos, "is required: a public model name or a glob such as \"claude-*\"")
		case err != nil:
			v.errorf(pk+".model", pp.Pos, "%s is not a valid glob (use * and ?, [a-z] for a class)", strconv.Quote(pp.Model))
		case models[pp.Model] != "":
			v.errorf(pk+".model", pp.Pos, "%s is priced twice (also %s)", strconv.Quote(pp.Model), models[pp.Model])
		default:
			models[pp.Model] = pk
		}
		pr := pp.price()
		v.rates(pk, &pr)
	}
}

// PlanBook returns the plans and assignments of c as a plan.Book. resolve
// maps an assignment's tenant (a name or an id) to the tenant's id; nil
// takes it as an id. Call it on a valid config.
func (c *Config) PlanBook(resolve func(nameOrID string) string) (*plan.Book, error) {
	plans, assigns := c.PlanTerms(resolve)
	return plan.NewBook(plans, assigns)
}

// PlanTerms converts c's plans and assignments, for plan.NewBook or
// plan.Live.SetBase.
func (c *Config) PlanTerms(resolve func(nameOrID string) string) ([]plan.Plan, []plan.Assignment) {
	plans := make([]plan.Plan, len(c.Plans))
	for i, p := range c.Plans {
		plans[i] = plan.Plan{Name: p.Name, Versions: make([]plan.Version, len(p.Versions))}
		for j := range p.Versions {
			plans[i].Versions[j] = plan.NewVersion(p.Name, p.Versions[j].From, p.Versions[j].Terms())
		}
	}
	assigns := make([]plan.Assignment, len(c.PlanAssignments))
	for i, a := range c.PlanAssignments {
		t := a.Tenant
		if resolve != nil {
			t = resolve(t)
		}
		assigns[i] = plan.Assignment{Tenant: t, Plan: a.Plan, From: a.From, To: a.To, Experiment: a.Experiment, Arm: a.Arm}
	}
	return plans, assigns
}

// Terms converts one version with the rate defaults applied.
func (ver *PlanVersion) Terms() plan.Terms {
	t := plan.Terms{MonthlyMinimum: ver.MonthlyMinimum, IncludedCredit: ver.IncludedCredit, RequestFee: ver.RequestFee}
	if ver.Markup != "" {
		t.Markup, _ = plan.ParseMarkup(ver.Markup)
	}
	for _, pp := range ver.Prices {
		t.Prices = append(t.Prices, plan.ModelPrice{Model: pp.Model, Rates: pp.price().Rates()})
	}
	return t
}

// ParsePlans reads a file of plans and plan_assignments (the keys a config
// has; a whole config file works too, its other keys decoded but not
// checked), for `switchyard whatif`. Its errors carry file, line and key
// like Parse's.
func ParsePlans(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	shielded, refs := shieldRefs(data)
	root, err := parseYAML(file, shielded)
	if err != nil {
		return nil, err
	}
	restoreRefs(root, refs, map[*yaml.Node]bool{})
	d := &decoder{file: file, lookup: lookup, fields: make(map[string]fieldInfo), bad: make(map[string]bool),
		active: make(map[*yaml.Node]bool), budget: nodeBudget(data)}
	c := &Config{File: file}
	d.value(root, "", reflect.ValueOf(c).Elem())
	c.fields = d.fields
	v := &validator{c: c}
	v.plans()
	errs := d.errs
	for _, e := range v.errs {
		if !d.failedUnder(e.Key) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs.truncate(maxErrors)
	}
	return c, nil
}
