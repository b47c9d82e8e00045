package target

import (
	"context"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// Usage reads the store's rollups.
type Usage interface {
	Usage(ctx context.Context, q store.UsageQuery) ([]store.UsageRow, error)
}

// MoneyRow is one group's revenue and cost.
type MoneyRow struct {
	Group   map[string]string
	Revenue money.Nanos
	Cost    money.Nanos
}

// Books says what was earned and what it cost, grouped like
// store.Usage. When the ledger lands it implements Books with each
// tenant's plan; until then PassThrough charges tenants what their usage
// cost, so revenue equals cost and gross margin is zero.
type Books interface {
	Money(ctx context.Context, q store.UsageQuery) ([]MoneyRow, error)
}

// PassThrough is the Books of a gateway without plans: revenue is cost.
type PassThrough struct{ Usage Usage }

// Money reads cost from the rollups and charges it as revenue.
func (p PassThrough) Money(ctx context.Context, q store.UsageQuery) ([]MoneyRow, error) {
	rows, err := p.Usage.Usage(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]MoneyRow, len(rows))
	for i, r := range rows {
		out[i] = MoneyRow{Group: r.Group, Revenue: r.Cost, Cost: r.Cost}
	}
	return out, nil
}

// Directory lists tenants, for plan and tag segments (store.Tenants is one).
type Directory interface {
	ListTenants(ctx context.Context, after string, limit int) ([]store.Tenant, error)
}

// dayRow is one (tenant, day) of a segment: what the metrics read.
type dayRow struct {
	day            time.Time
	tenant         string
	revenue, cost  money.Nanos
	tokens, active int64
}

// matcher decides which rows belong to a goal's segment.
type matcher struct {
	dim, glob string
	// groupBy is the store dimension the segment reads: dim itself, or
	// tenant for plan and tag.
	groupBy string
	tenants map[string]store.Tenant
}

func (e *Evaluator) matcher(ctx context.Context, g Goal) (*matcher, error) {
	m := &matcher{dim: g.Dimension, glob: g.Glob, groupBy: g.Dimension}
	switch g.Dimension {
	case "", "model", "key", "provider", "deployment":
	case "tenant":
		// With a directory, a tenant segment matches names as well as ids.
		if e.tenants != nil {
			all, err := e.tenantDirectory(ctx)
			if err != nil {
				return nil, err
			}
			m.tenants = all
		}
	case "plan", "tag":
		if e.tenants == nil {
			return nil, fmt.Errorf("target: %s: a %s segment needs the tenant directory", g.Name, g.Dimension)
		}
		m.groupBy = "tenant"
		all, err := e.tenantDirectory(ctx)
		if err != nil {
			return nil, err
		}
		m.tenants = all
	default:
		return nil, fmt.Errorf("target: %s: unknown segment dimension %q (want one of %v)", g.Name, g.Dimension, Segments)
	}
	return m, nil
}

func (e *Evaluator) tenantDirectory(ctx context.Context) (map[string]store.Tenant, error) {
	all := make(map[string]store.Tenant)
	after := ""
	for {
		page, err := e.tenants.ListTenants(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("target: list tenants: %w", err)
		}
		for _, t := range page {
			all[t.ID] = t
		}
		if len(page) < 500 {
			return all, nil
		}
		after = page[len(page)-1].ID
	}
}

// match reports whether a row's group belongs to the segment.
func (m *matcher) match(group map[string]string) bool {
	glob := func(s string) bool { ok, _ := path.Match(m.glob, s); return ok }
	switch m.dim {
	case "":
		return true
	case "plan":
		return glob(m.tenants[group["tenant"]].Plan)
	case "tag":
		return slices.ContainsFunc(m.tenants[group["tenant"]].Tags, glob)
	case "tenant":
		// A tenant matches by id or by name.
		t := group["tenant"]
		return glob(t) || (m.tenants != nil && glob(m.tenants[t].Name))
	}
	return glob(group[m.dim])
}

// rows reads the segment's usage per tenant and day over [from, to).
func (e *Evaluator) rows(ctx context.Context, g Goal, m *matcher, from, to time.Time) ([]dayRow, error) {
	groupBy := []string{"tenant", "day"}
	if m.groupBy != "" && m.groupBy != "tenant" {
		groupBy = append(groupBy, m.groupBy)
	}
	q := store.UsageQuery{From: from, To: to, GroupBy: groupBy}
	var out []dayRow
	if g.Metric.Money() {
		rows, err := e.books.Money(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("target: %s: books: %w", g.Name, err)
		}
		for _, r := range rows {
			if m.match(r.Group) {
				out = append(out, dayRow{day: day(r.Group["day"]), tenant: r.Group["tenant"], revenue: r.Revenue, cost: r.Cost})
			}
		}
		return out, nil
	}
	rows, err := e.usage.Usage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("target: %s: usage: %w", g.Name, err)
	}
	for _, r := range rows {
		if m.match(r.Group) {
			tok := r.Reported.Prompt + r.Reported.Completion + r.Estimated.Prompt + r.Estimated.Completion
			out = append(out, dayRow{day: day(r.Group["day"]), tenant: r.Group["tenant"], tokens: tok, active: r.Attempts})
		}
	}
	return out, nil
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// LedgerReader reads the ledger's rollups (the store keeps them).
type LedgerReader interface {
	Books(ctx context.Context, q store.BooksQuery) ([]store.BooksRow, error)
}

// Ledger is the Books of the double-entry ledger: revenue at each
// tenant's plan, cost as the clouds billed it.
type Ledger struct{ Reader LedgerReader }

// Money reads the ledger grouped as q asks (every Usage dimension but
// key_name is a ledger dimension too).
func (l Ledger) Money(ctx context.Context, q store.UsageQuery) ([]MoneyRow, error) {
	rows, err := l.Reader.Books(ctx, store.BooksQuery(q))
	if err != nil {
		return nil, err
	}
	out := make([]MoneyRow, len(rows))
	for i, r := range rows {
		out[i] = MoneyRow{Group: r.Group, Revenue: r.Revenue, Cost: r.Cost}
	}
	return out, nil
}

// BooksFor is the ledger when u keeps one (both stores do), else
// pass-through.
func BooksFor(u Usage) Books {
	if l, ok := u.(LedgerReader); ok {
		return Ledger{Reader: l}
	}
	return PassThrough{Usage: u}
}
