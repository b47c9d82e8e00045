package commit

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// Source is where commitment accounting reads usage. The store's rollups
// are the source today; the ledger can take their place by implementing
// the same two reads.
type Source interface {
	// Hourly returns the usage of the hours starting in [from, to), by
	// hour, deployment, model, tenant and provider.
	Hourly(ctx context.Context, from, to time.Time) ([]Usage, error)
	// Spend is the cost per deployment in [from, to).
	Spend(ctx context.Context, from, to time.Time) (map[string]money.Nanos, error)
}

// UsageReader is the part of store.Store that Rollups reads.
type UsageReader interface {
	Usage(ctx context.Context, q store.UsageQuery) ([]store.UsageRow, error)
	Spend(ctx context.Context, from, to time.Time) (map[string]money.Nanos, error)
}

// Rollups reads usage from the store's hourly rollups: reported and
// estimated tokens together, at the cost the gateway recorded.
type Rollups struct{ Store UsageReader }

// Hourly implements Source.
func (r Rollups) Hourly(ctx context.Context, from, to time.Time) ([]Usage, error) {
	return r.hourly(ctx, from, to, "hour", "deployment", "model", "tenant", "provider")
}

// DeploymentHourly is Hourly summed over models, tenants and providers: all
// a commitment's status needs, in far fewer rows over a long term.
func (r Rollups) DeploymentHourly(ctx context.Context, from, to time.Time) ([]Usage, error) {
	return r.hourly(ctx, from, to, "hour", "deployment")
}

func (r Rollups) hourly(ctx context.Context, from, to time.Time, groupBy ...string) ([]Usage, error) {
	rows, err := r.Store.Usage(ctx, store.UsageQuery{From: from, To: to, GroupBy: groupBy})
	if err != nil {
		return nil, fmt.Errorf("commit: hourly usage: %w", err)
	}
	out := make([]Usage, 0, len(rows))
	for _, row := range rows {
		h, err := time.Parse(time.RFC3339, row.Group["hour"])
		if err != nil {
			return nil, fmt.Errorf("commit: hourly usage: hour %q: %w", row.Group["hour"], err)
		}
		tok := func(t store.Tokens) Tokens {
			return Tokens{t.Prompt, t.Completion, t.Cached, t.CacheWrite, t.Reasoning}
		}
		out = append(out, Usage{Hour: h.UTC(), Deployment: row.Group["deployment"], Model: row.Group["model"],
			Tenant: row.Group["tenant"], Provider: row.Group["provider"],
			Tokens: tok(row.Reported).Add(tok(row.Estimated)), Cost: row.Cost})
	}
	return out, nil
}

// Spend implements Source.
func (r Rollups) Spend(ctx context.Context, from, to time.Time) (map[string]money.Nanos, error) {
	m, err := r.Store.Spend(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("commit: spend: %w", err)
	}
	return m, nil
}

// Statuses reports every commitment at now from src, with the capacity
// hours starting in [hoursFrom, hoursTo).
func Statuses(ctx context.Context, src Source, terms []Terms, now, hoursFrom, hoursTo time.Time) ([]Status, error) {
	read := src.Hourly
	if c, ok := src.(interface {
		DeploymentHourly(ctx context.Context, from, to time.Time) ([]Usage, error)
	}); ok {
		read = c.DeploymentHourly
	}
	out := make([]Status, 0, len(terms))
	for _, t := range terms {
		to := minTime(maxTime(now, t.Start), t.End)
		rows, err := read(ctx, t.Start.Truncate(time.Hour), ceilHour(to))
		if err != nil {
			return nil, err
		}
		out = append(out, Report(t, rows, now, hoursFrom, hoursTo))
	}
	return out, nil
}

// Export allocates the usage of [from, to) (whole hours) from src, with
// each spend commitment's draw before from, for the FOCUS export.
func Export(ctx context.Context, src Source, terms []Terms, from, to, now time.Time) (Allocation, error) {
	from, to = from.UTC().Truncate(time.Hour), ceilHour(to.UTC())
	rows, err := src.Hourly(ctx, from, to)
	if err != nil {
		return Allocation{}, err
	}
	before := map[string]money.Nanos{}
	for _, t := range terms {
		if t.Kind != Spend || !t.Start.Before(from) {
			continue
		}
		m, err := src.Spend(ctx, t.Start.Truncate(time.Hour), minTime(from, t.End))
		if err != nil {
			return Allocation{}, err
		}
		for _, d := range t.Deployments {
			before[t.Name] += m[d]
		}
	}
	return Allocate(terms, rows, from, to, now, before), nil
}
