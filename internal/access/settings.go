package access

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/money"
)

// Limits are the rate limits set on a tenant or a key. Zero means none. They
// are settings only: internal/limit enforces them.
type Limits struct {
	RPM        int64 `json:"rpm,omitempty"`        // requests per rolling minute
	TPM        int64 `json:"tpm,omitempty"`        // tokens per rolling minute
	Concurrent int64 `json:"concurrent,omitempty"` // requests in flight
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// Budget is the spending cap set on a tenant or a key. A zero USD means no
// budget. It is a setting only: internal/budget enforces it.
type Budget struct {
	USD    money.Nanos // the cap, in nano-dollars
	Period string      // day | week | month | rolling:Nd | lifetime
	TZ     string      // IANA zone for calendar periods; "" is UTC
	Hard   bool        // refuse past the cap (else alert only)
}

// IsZero reports whether no budget is set.
func (b Budget) IsZero() bool { return b.USD == 0 }

// Effective is the tighter of a key's and its tenant's limits, per
// dimension: each applies, so the smaller non-zero one binds first.
func Effective(key, tenant Limits) Limits {
	m := func(a, b int64) int64 {
		switch {
		case a == 0:
			return b
		case b == 0:
			return a
		default:
			return min(a, b)
		}
	}
	return Limits{RPM: m(key.RPM, tenant.RPM), TPM: m(key.TPM, tenant.TPM), Concurrent: m(key.Concurrent, tenant.Concurrent)}
}

// ParseUSD reads a non-negative decimal dollar amount ("1.00", "0.000000001",
// "250") exactly into nano-dollars. It refuses exponents, signs and amounts
// finer than a nano-dollar rather than round them.
func ParseUSD(s string) (money.Nanos, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && frac == "" {
		return 0, errors.New("want a decimal amount of dollars such as \"1.00\"")
	}
	digits := func(x string) bool {
		for i := 0; i < len(x); i++ {
			if x[i] < '0' || x[i] > '9' {
				return false
			}
		}
		return true
	}
	if !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q is not a decimal amount of dollars such as \"1.00\"", s)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 9 {
		return 0, fmt.Errorf("%q is finer than a nano-dollar (9 decimals)", s)
	}
	frac += strings.Repeat("0", 9-len(frac))
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000_000 {
		return 0, fmt.Errorf("%q is out of range (at most 1000000000 dollars)", s)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return money.Nanos(w)*money.PerDollar + money.Nanos(f), nil
}
