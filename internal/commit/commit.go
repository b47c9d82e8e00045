// Package commit accounts for provider commitments: how each spend or capacity contract is drawn, paced and projected, and how its cost splits into committed, on-demand and unused parts.
package commit

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
)

// Kinds of commitment, as config names them.
const (
	Spend    = config.CommitSpend
	Capacity = config.CommitCapacity
)

// Terms is one commitment as the books see it: the contract from the config,
// the deployments that draw on it, and a content hash of both so that a
// report shows when the terms changed.
type Terms struct {
	Name, Provider, Kind string
	// Deployments draw on the commitment (sorted).
	Deployments []string
	// Amount is a spend commitment's total.
	Amount money.Nanos
	// PerMinute is a capacity commitment's capacity tokens per minute, and
	// Weights the capacity tokens of each token type in thousandths (input,
	// cached input, output, reasoning), as routing counts them.
	PerMinute    int64
	Weights      [4]int64
	PricePerHour money.Nanos
	// Start and End bound the term; End is exclusive.
	Start, End time.Time
	// Version is "cv_" and 12 hex digits of the SHA-256 of the terms: the
	// same contract gives the same version on every replica, and any change
	// to what is billed gives a new one.
	Version string
}

// FromConfig returns the commitments of a config on which SetDefaults has
// run (config.Load does), in config order.
func FromConfig(c *config.Config) []Terms {
	out := make([]Terms, 0, len(c.Commitments))
	for i := range c.Commitments {
		cm := &c.Commitments[i]
		t := Terms{
			Name: cm.Name, Provider: cm.Provider, Kind: cm.Kind,
			Amount: cm.Amount, PerMinute: cm.CapacityPerMinute(), PricePerHour: cm.PricePerHour,
			Start: cm.Start.UTC(), End: cm.End.UTC(),
		}
		w := cm.TokenWeights
		for j, f := range [4]float64{w.Input, w.CachedInput, w.Output, w.Reasoning} {
			t.Weights[j] = int64(math.Round(f * 1000))
		}
		for j := range c.Models {
			for k := range c.Models[j].Deployments {
				if d := &c.Models[j].Deployments[k]; cm.Covers(d) && !slices.Contains(t.Deployments, d.Name) {
					t.Deployments = append(t.Deployments, d.Name)
				}
			}
		}
		slices.Sort(t.Deployments)
		t.Version = t.version()
		out = append(out, t)
	}
	return out
}

// version hashes a canonical encoding of everything that bills.
func (t *Terms) version() string {
	b := make([]byte, 0, 256)
	b = append(b, "switchyard.commitment.v1"...)
	for _, s := range []string{t.Name, t.Provider, t.Kind} {
		b = append(b, '\n')
		b = strconv.AppendQuote(b, s)
	}
	for _, d := range t.Deployments {
		b = append(b, "\nd "...)
		b = strconv.AppendQuote(b, d)
	}
	for _, n := range []int64{int64(t.Amount), t.PerMinute, t.Weights[0], t.Weights[1], t.Weights[2], t.Weights[3],
		int64(t.PricePerHour), t.Start.UnixNano(), t.End.UnixNano()} {
		b = append(b, '\n')
		b = strconv.AppendInt(b, n, 10)
	}
	sum := sha256.Sum256(b)
	return "cv_" + hex.EncodeToString(sum[:6])
}

// Covers reports whether deployment draws on t.
func (t *Terms) Covers(deployment string) bool {
	_, ok := slices.BinarySearch(t.Deployments, deployment)
	return ok
}

// inTerm reports whether the hour starting at h overlaps the term. Usage is
// known by the hour, so an hour that overlaps the term counts as in it.
func (t *Terms) inTerm(h time.Time) bool {
	return h.Before(t.End) && h.Add(time.Hour).After(t.Start)
}

// Weigh is the capacity tokens of tok, rounded up as routing rounds them.
// Cache writes count as input, as the providers' burndown rates do.
func (t *Terms) Weigh(tok Tokens) int64 {
	cached := min(max(tok.Cached, 0), tok.Prompt)
	reasoning := min(max(tok.Reasoning, 0), tok.Completion)
	w := (tok.Prompt-cached)*t.Weights[0] + cached*t.Weights[1] +
		(tok.Completion-reasoning)*t.Weights[2] + reasoning*t.Weights[3]
	if w <= 0 {
		return 0
	}
	return (w + 999) / 1000
}
