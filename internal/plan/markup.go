package plan

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/money"
)

// Markup bounds, in basis points: a discount cannot pay tenants to use the
// gateway, and a markup beyond 1000x is a typo.
const (
	MinMarkup = -10_000
	MaxMarkup = 10_000_000
)

// ParseMarkup reads a markup over cost such as "+25%", "25%", "12.5%",
// "-10%" or "0%" into basis points (2500, 2500, 1250, -1000, 0). It refuses
// more than two decimals rather than round them.
func ParseMarkup(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("markup %q: want a percentage such as \"+25%%\"", orig)
	}
	neg := strings.HasPrefix(num, "-")
	num = strings.TrimLeft(num, "+-")
	whole, frac, _ := strings.Cut(strings.TrimSpace(num), ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("markup %q: want a percentage such as \"+25%%\"", orig)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return 0, fmt.Errorf("markup %q: at most two decimals (a basis point)", orig)
	}
	frac += strings.Repeat("0", 2-len(frac))
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > MaxMarkup/100 {
		return 0, fmt.Errorf("markup %q: out of range (%d%% to +%d%%)", orig, MinMarkup/100, MaxMarkup/100)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	bp := w*100 + f
	if neg {
		bp = -bp
	}
	if bp < MinMarkup || bp > MaxMarkup {
		return 0, fmt.Errorf("markup %q: out of range (%d%% to +%d%%)", orig, MinMarkup/100, MaxMarkup/100)
	}
	return bp, nil
}

// FormatMarkup is the inverse of ParseMarkup: "+25%", "-10%", "+12.5%".
func FormatMarkup(bp int64) string {
	sign := "+"
	if bp < 0 {
		sign, bp = "-", -bp
	}
	s := strconv.FormatInt(bp/100, 10)
	if f := bp % 100; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", f), "0")
	}
	return sign + s + "%"
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ApplyMarkup returns cost × (1 + bp/10000), rounded to the nearest
// nano-dollar (halves away from zero), in 128-bit integer arithmetic so
// that no cost overflows on the way. bp is clamped to [MinMarkup, MaxMarkup].
func ApplyMarkup(cost money.Nanos, bp int64) money.Nanos {
	if bp == 0 || cost == 0 {
		return cost
	}
	bp = min(max(bp, MinMarkup), MaxMarkup)
	neg := cost < 0
	c := uint64(cost)
	if neg {
		c = -c
	}
	hi, lo := bits.Mul64(c, uint64(10_000+bp)) // 10_000+bp >= 0
	lo, carry := bits.Add64(lo, 5_000, 0)
	hi += carry
	if hi >= 10_000 {
		// The quotient would not fit in 64 bits: saturate.
		if neg {
			return money.Nanos(-1 << 63)
		}
		return money.Nanos(1<<63 - 1)
	}
	q, _ := bits.Div64(hi, lo, 10_000)
	if q > 1<<63-1 {
		q = 1<<63 - 1
	}
	if neg {
		return -money.Nanos(q)
	}
	return money.Nanos(q)
}
