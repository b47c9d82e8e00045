package focus

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
)

// Catalog is what the export knows of providers, deployments and
// commitments besides the usage: from the config.
type Catalog struct {
	Providers   map[string]string // provider name → type
	Regions     map[string]string // deployment → region
	Commitments map[string]commit.Terms
}

// CatalogFromConfig builds the catalog of a loaded config.
func CatalogFromConfig(c *config.Config) Catalog {
	cat := Catalog{Providers: map[string]string{}, Regions: map[string]string{}, Commitments: map[string]commit.Terms{}}
	for _, p := range c.Providers {
		cat.Providers[p.Name] = p.Type
	}
	for i := range c.Models {
		for _, d := range c.Models[i].Deployments {
			cat.Regions[d.Name] = d.Region
		}
	}
	for _, t := range commit.FromConfig(c) {
		cat.Commitments[t.Name] = t
	}
	return cat
}

// provider names the company behind a provider account and its service.
func (c *Catalog) provider(name string) (company, service string) {
	switch c.Providers[name] {
	case config.TypeOpenAI:
		return "OpenAI", "OpenAI API"
	case config.TypeAzure:
		return "Microsoft", "Azure OpenAI"
	case config.TypeBedrock:
		return "AWS", "Amazon Bedrock"
	case config.TypeAnthropic:
		return "Anthropic", "Claude API"
	case config.TypeGemini:
		return "Google", "Gemini API"
	}
	return name, name + " API"
}

// Granularities of the usage rows' charge periods.
const (
	Hourly = time.Hour
	Daily  = 24 * time.Hour
)

// Rows turns an allocation into FOCUS rows: per charge period (hour or
// day), deployment, model and tenant, one row for the part covered by a
// commitment (Committed, billed 0, its share of the commitment as effective
// cost) and one for the part on demand (Standard); per commitment its
// purchases (Purchase: a spend commitment's amount once, a capacity
// commitment's hours) and its unused parts (Usage, status Unused, effective
// cost only). Rows come sorted by charge period.
func Rows(cat Catalog, a commit.Allocation, granularity time.Duration) []Row {
	if granularity != Daily {
		granularity = Hourly
	}
	type key struct {
		period                                                 int64
		deployment, model, tenant, provider, commitment, price string
	}
	usage := map[key]*Row{}
	var keys []key
	add := func(k key, build func() Row) *Row {
		r := usage[k]
		if r == nil {
			row := build()
			r = &row
			usage[k] = r
			keys = append(keys, k)
		}
		return r
	}
	for _, p := range a.Parts {
		period := p.Hour.Truncate(granularity)
		base := func(pricing string) Row {
			company, service := cat.provider(p.Provider)
			return Row{
				BillingAccountID: p.Provider, BillingAccountName: p.Provider,
				ChargeCategory: CategoryUsage, ChargeFrequency: "Usage-Based",
				ChargeDescription: fmt.Sprintf("%s tokens on %s", p.Model, p.Deployment),
				ChargePeriodStart: period, ChargePeriodEnd: period.Add(granularity),
				ProviderName: company, ServiceName: service, RegionID: cat.Regions[p.Deployment],
				ResourceID: p.Deployment, ResourceType: "Model Deployment",
				PricingCategory: pricing, PricingUnit: "Tokens", Consumed: true,
				Model: p.Model, Tenant: p.Tenant,
			}
		}
		k := key{period.Unix(), p.Deployment, p.Model, p.Tenant, p.Provider, "", PricingStandard}
		if p.Commitment != "" {
			k.commitment, k.price = p.Commitment, PricingCommitted
			t := cat.Commitments[p.Commitment]
			r := add(k, func() Row {
				r := base(PricingCommitted)
				r.ChargeDescription += " within commitment " + p.Commitment
				setCommitment(&r, t)
				r.CommitmentStatus = StatusUsed
				return r
			})
			r.EffectiveCost += p.Effective
			r.ListCost += p.CommittedCost
			r.ContractedCost += p.CommittedCost
			r.Tokens.add(disjoint(p.Committed))
			r.CommitmentQuantity = addQuantity(r.CommitmentQuantity, t.Kind, p.Quantity)
		}
		if p.OnDemandCost == 0 && p.OnDemand.Total() == 0 && p.Commitment != "" {
			continue
		}
		k.commitment, k.price = "", PricingStandard
		r := add(k, func() Row { return base(PricingStandard) })
		r.BilledCost += p.OnDemandCost
		r.EffectiveCost += p.OnDemandCost
		r.ListCost += p.OnDemandCost
		r.ContractedCost += p.OnDemandCost
		r.Tokens.add(disjoint(p.OnDemand))
	}
	out := make([]Row, 0, len(keys)+len(a.Charges))
	for _, k := range keys {
		r := usage[k]
		r.PricingQuantity = strconv.FormatInt(r.Tokens.Total(), 10)
		out = append(out, *r)
	}
	out = append(out, charges(cat, a.Charges, granularity)...)
	for i := range out {
		r := &out[i]
		r.BillingPeriodStart = time.Date(r.ChargePeriodStart.Year(), r.ChargePeriodStart.Month(), 1, 0, 0, 0, 0, time.UTC)
		r.BillingPeriodEnd = r.BillingPeriodStart.AddDate(0, 1, 0)
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		return cmp.Or(a.ChargePeriodStart.Compare(b.ChargePeriodStart), cmp.Compare(a.BillingAccountID, b.BillingAccountID),
			cmp.Compare(a.ResourceID, b.ResourceID), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Tenant, b.Tenant),
			cmp.Compare(a.ChargeCategory, b.ChargeCategory), cmp.Compare(a.PricingCategory, b.PricingCategory),
			cmp.Compare(a.CommitmentStatus, b.CommitmentStatus))
	})
	return out
}

// charges renders the commitments' purchases and unused parts; a capacity
// commitment's hours are summed per charge period.
func charges(cat Catalog, cs []commit.Charge, granularity time.Duration) []Row {
	type key struct {
		period     int64
		commitment string
		kind       commit.ChargeKind
	}
	type acc struct {
		start, end time.Time
		cost       money.Nanos
		quantity   int64
		seconds    int64 // nanoseconds, for capacity hours
	}
	sums := map[key]*acc{}
	var keys []key
	for _, c := range cs {
		t := cat.Commitments[c.Commitment]
		period := c.Start.Truncate(granularity).Unix()
		if t.Kind == commit.Spend {
			period = c.Start.Unix() // once: never merged
		}
		k := key{period, c.Commitment, c.Kind}
		s := sums[k]
		if s == nil {
			s = &acc{start: c.Start, end: c.End}
			sums[k] = s
			keys = append(keys, k)
		}
		s.start, s.end = minTime(s.start, c.Start), maxTime(s.end, c.End)
		s.cost += c.Cost
		s.quantity += c.Quantity
		s.seconds += c.End.Sub(c.Start).Nanoseconds()
	}
	out := make([]Row, 0, len(keys))
	for _, k := range keys {
		s, t := sums[k], cat.Commitments[k.commitment]
		company, service := cat.provider(t.Provider)
		r := Row{
			BillingAccountID: t.Provider, BillingAccountName: t.Provider,
			ChargePeriodStart: s.start, ChargePeriodEnd: s.end,
			ProviderName: company, ServiceName: service,
			ResourceID: t.Name, ResourceType: "Commitment",
		}
		setCommitment(&r, t)
		r.CommitmentQuantity = addQuantity("", t.Kind, s.quantity)
		switch k.kind {
		case commit.Purchase:
			r.ChargeCategory, r.PricingCategory = CategoryPurchase, PricingStandard
			r.BilledCost, r.ListCost, r.ContractedCost = s.cost, s.cost, s.cost
			if t.Kind == commit.Spend {
				r.ChargeFrequency, r.PricingQuantity, r.PricingUnit = "One-Time", "1", "Units"
				r.ChargeDescription = "Spend commitment " + t.Name + " purchase"
			} else {
				r.ChargeFrequency, r.PricingUnit = "Recurring", "Hours"
				r.PricingQuantity = decimal9(s.seconds, int64(time.Hour))
				r.ChargeDescription = "Capacity commitment " + t.Name + " hours"
			}
		case commit.Unused:
			r.ChargeCategory, r.ChargeFrequency, r.PricingCategory = CategoryUsage, "Usage-Based", PricingCommitted
			r.EffectiveCost = s.cost
			r.PricingQuantity, r.PricingUnit = r.CommitmentQuantity, r.CommitmentUnit
			r.CommitmentStatus = StatusUnused
			r.ChargeDescription = "Unused commitment " + t.Name
		}
		out = append(out, r)
	}
	return out
}

func setCommitment(r *Row, t commit.Terms) {
	r.CommitmentID, r.CommitmentVersion = t.Name, t.Version
	if t.Kind == commit.Spend {
		r.CommitmentCategory, r.CommitmentType, r.CommitmentUnit = "Spend", "Spend Commitment", "USD"
	} else {
		r.CommitmentCategory, r.CommitmentType, r.CommitmentUnit = "Usage", "Provisioned Throughput", "Capacity Tokens"
	}
}

// addQuantity adds q (nano-dollars for spend, capacity tokens for
// capacity) to the decimal s.
func addQuantity(s, kind string, q int64) string {
	if kind == commit.Spend {
		var n money.Nanos
		if s != "" {
			n = parseMoney(s)
		}
		return Money(n + money.Nanos(q))
	}
	var n int64
	if s != "" {
		n, _ = strconv.ParseInt(s, 10, 64)
	}
	return strconv.FormatInt(n+q, 10)
}

// parseMoney reads back what Money wrote.
func parseMoney(s string) money.Nanos {
	w, f, _ := cutDot(s)
	a, _ := strconv.ParseInt(w, 10, 64)
	b, _ := strconv.ParseInt(f, 10, 64)
	return money.Nanos(a*1e9 + b)
}

func cutDot(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "0", false
}

// decimal9 is num/den as a decimal with nine places, rounded down.
func decimal9(num, den int64) string {
	whole, rest := num/den, num%den
	frac := uint64(rest) * 1e9 / uint64(den) // rest < den ≤ an hour of ns: no overflow
	return strconv.FormatInt(whole, 10) + "." + pad9(frac)
}

// disjoint turns OpenAI-convention counts into disjoint token types.
func disjoint(t commit.Tokens) Tokens {
	cached := min(max(t.Cached, 0), t.Prompt)
	write := min(max(t.CacheWrite, 0), t.Prompt-cached)
	reasoning := min(max(t.Reasoning, 0), t.Completion)
	return Tokens{Input: t.Prompt - cached - write, CachedInput: cached, CacheWrite: write,
		Output: t.Completion - reasoning, Reasoning: reasoning}
}

// Write writes rows as RFC 4180 CSV (CRLF line ends) under a header of
// Columns.
func Write(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("focus: write: %w", err)
	}
	for i := range rows {
		if err := cw.Write(rows[i].Record()); err != nil {
			return fmt.Errorf("focus: write: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("focus: write: %w", err)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
