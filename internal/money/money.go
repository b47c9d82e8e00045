// Package money holds exact amounts of US dollars as integer nano-dollars.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Nanos is an amount of money in nano-dollars (1e-9 USD). It is never a float:
// every sum the gateway reports is exact.
type Nanos int64

// PerDollar is the number of nano-dollars in one US dollar.
const PerDollar Nanos = 1_000_000_000

// String formats n as dollars with all nine decimals, trailing zeros trimmed to
// at least two: 1500000 is "0.0015", -2 dollars is "-2.00".
func (n Nanos) String() string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	whole, frac := u/uint64(PerDollar), u%uint64(PerDollar)
	fs := fmt.Sprintf("%09d", frac)
	fs = strings.TrimRight(fs, "0")
	for len(fs) < 2 {
		fs += "0"
	}
	s := strconv.FormatUint(whole, 10) + "." + fs
	if neg {
		s = "-" + s
	}
	return s
}

// Price is what one token costs, in nano-dollars. Config writes prices in USD per
// million tokens; 0.15 USD per million tokens is a Price of 150.
type Price int64

// Cost is the exact cost of n tokens at price p.
func (p Price) Cost(tokens int64) Nanos { return Nanos(int64(p) * tokens) }

// PerMillion formats p back as USD per million tokens, as config writes it.
func (p Price) PerMillion() string {
	// One nano-dollar per token is 0.001 USD per million tokens.
	return strings.TrimSuffix(strings.TrimRight(Nanos(int64(p)*1_000_000).String(), "0"), ".")
}

// ErrTooPrecise reports a price finer than the smallest unit the books can hold.
var ErrTooPrecise = errors.New("more precise than 0.001 USD per million tokens (one nano-dollar per token)")

// ParsePerMillion parses a decimal string of USD per million tokens, such as
// "0.15" or "2.50", into a Price. It rejects negative numbers, exponents and
// prices that would not be a whole number of nano-dollars per token, rather
// than rounding them silently.
func ParsePerMillion(s string) (Price, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty price")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("negative price %q", orig)
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("invalid price %q", orig)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("invalid price %q: want a decimal number such as \"0.15\"", orig)
	}
	// USD per million tokens with three decimals is exactly nano-dollars per token.
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 3 {
		return 0, fmt.Errorf("price %q is %w", orig, ErrTooPrecise)
	}
	frac += strings.Repeat("0", 3-len(frac))
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000_000 {
		return 0, fmt.Errorf("price %q is out of range", orig)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Price(w*1000 + f), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
