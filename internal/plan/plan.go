// Package plan is what tenants are charged: plans of per-token prices or a markup over cost, versioned, and assigned to tenants with effective dates.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/wire"
)

// ModelPrice is a per-token price for the models a pattern names: an exact
// public model name ("gpt-4o") or a glob of path.Match syntax
// ("claude-*", "gemini-2.?-flash").
type ModelPrice struct {
	Model string
	Rates price.Rates
}

// IsGlob reports whether the pattern holds glob syntax.
func (m *ModelPrice) IsGlob() bool {
	for i := 0; i < len(m.Model); i++ {
		switch m.Model[i] {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// Terms are what one version of a plan charges.
//
// A request is charged, once whatever its retries:
//   - for a model a Prices entry names, those per-token prices applied to
//     the usage of the attempt that answered the client;
//   - for any other model, what that attempt cost plus Markup (0: at cost);
//   - plus RequestFee.
//
// MonthlyMinimum and IncludedCredit apply per calendar month (UTC), at the
// month's end: see Book.MonthEnd.
type Terms struct {
	// Prices is searched exact names first, then globs in the order given:
	// the first glob that matches wins.
	Prices []ModelPrice
	// Markup over cost in basis points (2500: +25%; -1000: a 10% discount;
	// at least -10000). It prices the models Prices does not name.
	Markup         int64
	MonthlyMinimum money.Nanos
	IncludedCredit money.Nanos
	RequestFee     money.Nanos
}

// Version is one set of terms of a plan, in force from From until the next
// version's From.
type Version struct {
	// ID is derived from the content (plan, From, terms), as price
	// versions' are: the same config gives the same id on every replica,
	// and changed terms get a new one. "plv_" and 12 hex digits.
	ID    string
	Plan  string
	From  time.Time // zero: in force since ever
	Terms Terms

	// exact indexes the Prices that name one model; globs are the rest,
	// in order. Built by NewVersion so that rating neither allocates nor
	// scans exact names.
	exact map[string]*price.Rates
	globs []*ModelPrice
}

// NewVersion returns the version of plan's terms t from from, with its ID.
func NewVersion(plan string, from time.Time, t Terms) Version {
	// The version keeps its own copy: the index points into it.
	t.Prices = slices.Clone(t.Prices)
	v := Version{ID: VersionID(plan, from, &t), Plan: plan, From: from, Terms: t}
	v.index()
	return v
}

func (v *Version) index() {
	v.exact = make(map[string]*price.Rates, len(v.Terms.Prices))
	v.globs = v.globs[:0]
	for i := range v.Terms.Prices {
		p := &v.Terms.Prices[i]
		if p.IsGlob() {
			v.globs = append(v.globs, p)
		} else if _, dup := v.exact[p.Model]; !dup {
			v.exact[p.Model] = &p.Rates
		}
	}
}

// RatesFor returns the per-token rates the version charges for model, or
// nil when it charges model's cost plus the markup.
func (v *Version) RatesFor(model string) *price.Rates {
	if v.exact == nil {
		return v.scan(model) // a Version built without NewVersion
	}
	if r, ok := v.exact[model]; ok {
		return r
	}
	for _, g := range v.globs {
		if ok, _ := path.Match(g.Model, model); ok {
			return &g.Rates
		}
	}
	return nil
}

func (v *Version) scan(model string) *price.Rates {
	ps := v.Terms.Prices
	for i := range ps {
		if !ps[i].IsGlob() && ps[i].Model == model {
			return &ps[i].Rates
		}
	}
	for i := range ps {
		if ps[i].IsGlob() {
			if ok, _ := path.Match(ps[i].Model, model); ok {
				return &ps[i].Rates
			}
		}
	}
	return nil
}

// Revenue is what one request is charged under v: model's per-token rates
// applied to u, or cost plus the markup, plus the request fee.
func (v *Version) Revenue(model string, u wire.Usage, cost money.Nanos) money.Nanos {
	var r money.Nanos
	if rates := v.RatesFor(model); rates != nil {
		r = rates.Cost(u)
	} else {
		r = ApplyMarkup(cost, v.Terms.Markup)
	}
	return r + v.Terms.RequestFee
}

// VersionID derives a version's ID from a canonical encoding of the plan
// name, the start (UTC, to the nanosecond) and every term, prices in their
// order (it decides which glob wins).
func VersionID(plan string, from time.Time, t *Terms) string {
	b := make([]byte, 0, 256)
	b = append(b, "switchyard.plan.v1\n"...)
	b = strconv.AppendQuote(b, plan)
	b = append(b, '\n')
	if !from.IsZero() {
		b = from.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	for _, n := range []int64{t.Markup, int64(t.MonthlyMinimum), int64(t.IncludedCredit), int64(t.RequestFee)} {
		b = append(b, '\n')
		b = strconv.AppendInt(b, n, 10)
	}
	for i := range t.Prices {
		p := &t.Prices[i]
		b = append(b, "\nprice "...)
		b = strconv.AppendQuote(b, p.Model)
		// The price book's own id is a canonical encoding of the rates.
		b = append(b, ' ')
		b = append(b, price.VersionID("", time.Time{}, &p.Rates)...)
	}
	sum := sha256.Sum256(b)
	return "plv_" + hex.EncodeToString(sum[:6])
}

// Plan is a named, versioned plan. Its name is its id: tenants, assignments
// and the books refer to it by name.
type Plan struct {
	Name     string
	Versions []Version // by strictly increasing From; only the first may be zero
}

// At returns the version in force at t: the last one whose From is not after
// t, or false before the first.
func (p *Plan) At(t time.Time) (*Version, bool) {
	for i := len(p.Versions) - 1; i >= 0; i-- {
		if v := &p.Versions[i]; !v.From.After(t) {
			return v, true
		}
	}
	return nil, false
}
