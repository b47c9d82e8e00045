package price

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Version is one set of rates of one deployment, in force from From until
// the next version's From.
type Version struct {
	// ID names the version in usage events and the store. It is derived
	// from the content (deployment, From and rates), so the same config
	// gives the same ID on every replica and after every restart, and a
	// changed price gets a new one.
	ID         string
	Deployment string
	From       time.Time // zero: in force since ever
	Rates      Rates
}

// NewVersion returns the version of deployment's rates r from from, with
// its ID.
func NewVersion(deployment string, from time.Time, r Rates) Version {
	return Version{ID: VersionID(deployment, from, &r), Deployment: deployment, From: from, Rates: r}
}

// VersionID derives a version's ID: "pv_" and the first 12 hex digits of the
// SHA-256 of a canonical encoding of the deployment, the start (in UTC, to
// the nanosecond) and every rate. Only what is billed is encoded, so two
// configs that bill alike (an omitted cached_input or one equal to input)
// share an ID.
func VersionID(deployment string, from time.Time, r *Rates) string {
	b := make([]byte, 0, 160)
	b = append(b, "switchyard.price.v1\n"...)
	b = strconv.AppendQuote(b, deployment)
	b = append(b, '\n')
	if !from.IsZero() {
		b = from.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	for _, p := range []int64{int64(r.Input), int64(r.CachedInput), int64(r.CacheWrite), int64(r.Output), int64(r.Reasoning)} {
		b = append(b, '\n')
		b = strconv.AppendInt(b, p, 10)
	}
	if t := r.LongContext; t != nil {
		b = append(b, "\nlong_context"...)
		for _, p := range []int64{t.Above, int64(t.Input), int64(t.CachedInput), int64(t.CacheWrite), int64(t.Output), int64(t.Reasoning)} {
			b = append(b, '\n')
			b = strconv.AppendInt(b, p, 10)
		}
	}
	sum := sha256.Sum256(b)
	return "pv_" + hex.EncodeToString(sum[:6])
}

// Schedule is a deployment's prices over time: either Unpriced, said
// explicitly in the config, or Versions sorted by strictly increasing From.
type Schedule struct {
	Unpriced bool
	Versions []Version
}

// At returns the version in force at t: the last one whose From is not after
// t. It reports false for an unpriced schedule and for a time before the
// first version.
func (s *Schedule) At(t time.Time) (*Version, bool) {
	for i := len(s.Versions) - 1; i >= 0; i-- {
		if v := &s.Versions[i]; !v.From.After(t) {
			return v, true
		}
	}
	return nil, false
}
