package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/money"
)

// String formats d the way time.Duration does ("1m30s"); ParseDuration and
// YAML accept it back.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML decodes "30s", "5m" or "1h30m". The loader decodes Duration
// itself; this method serves code that decodes config pieces with yaml.v3.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(errDuration)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

const errDuration = "want a duration such as 30s or 1h30m"

// parseDuration parses a Go duration string. A bare number other than 0 is
// rejected: "timeout: 30" could mean seconds or nanoseconds, and guessing
// wrong is silent. Messages never quote the value, which may have come from
// the environment.
func parseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s != "0" {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, errors.New(errDuration + ", not a bare number")
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New(errDuration)
	}
	return Duration(d), nil
}

// Byte sizes.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
)

// sizeUnits maps lower-case unit suffixes to their byte counts. IEC units
// (KiB) are powers of 1024, SI units (kB, MB) powers of 1000.
var sizeUnits = map[string]Size{
	"b":   1,
	"kib": KiB, "mib": MiB, "gib": GiB, "tib": TiB,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
}

// String formats s with the unit that divides it exactly into the smallest
// number, so that parsing the result gives s back: 33554432 is "32MiB", 1000
// is "1kB", 1536 is "1536B".
func (s Size) String() string {
	n, unit := int64(s), "B"
	for _, u := range []struct {
		name string
		n    Size
	}{
		{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", TiB},
		{"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	} {
		if q := int64(s / u.n); s%u.n == 0 && abs(q) < abs(n) {
			n, unit = q, u.name
		}
	}
	return strconv.FormatInt(n, 10) + unit
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// UnmarshalYAML decodes an integer byte count or a size such as "32MiB".
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(errSize)
	}
	v, err := parseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

const errSize = "want a byte count or a size such as 512KiB, 32MiB or 1GB"

// parseSize parses an integer byte count, optionally followed by a unit
// (case-insensitive, with or without a space): "1048576", "512KiB", "10MB".
func parseSize(str string) (Size, error) {
	str = strings.TrimSpace(str)
	i := 0
	if i < len(str) && (str[i] == '-' || str[i] == '+') {
		i++
	}
	for i < len(str) && ('0' <= str[i] && str[i] <= '9' || str[i] == '_') {
		i++
	}
	num, unit := str[:i], strings.ToLower(strings.TrimSpace(str[i:]))
	n, err := strconv.ParseInt(strings.ReplaceAll(num, "_", ""), 10, 64)
	if err != nil {
		return 0, errors.New(errSize)
	}
	mult := Size(1)
	if unit != "" {
		var ok bool
		if mult, ok = sizeUnits[unit]; !ok {
			return 0, errors.New(errSize)
		}
	}
	if n > math.MaxInt64/int64(mult) || n < math.MinInt64/int64(mult) {
		return 0, fmt.Errorf("size is too large")
	}
	return Size(n) * mult, nil
}

const errUSD = `want an amount of US dollars such as "1500" or "0.00001"`

// ParseUSD parses a decimal amount of US dollars, such as "50000" or
// "0.00001", exactly into nano-dollars. It rejects negative amounts,
// exponents and more than nine decimals rather than rounding. Messages never
// quote the value, which may have come from the environment.
func ParseUSD(s string) (money.Nanos, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("must not be negative")
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return 0, errors.New(errUSD)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 9 {
		return 0, errors.New("more precise than one nano-dollar (nine decimals)")
	}
	frac += strings.Repeat("0", 9-len(frac))
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/int64(money.PerDollar)-1 {
		return 0, errors.New("amount is too large")
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return money.Nanos(w)*money.PerDollar + money.Nanos(f), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const errTime = "want a date such as 2025-01-01 or an RFC 3339 time such as 2025-01-01T00:00:00Z"

// parseTime parses a date, meaning midnight UTC, or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New(errTime)
	}
	return t, nil
}
