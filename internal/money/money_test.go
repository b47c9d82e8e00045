package money

import (
	"errors"
	"testing"
)

func TestParsePerMillion(t *testing.T) {
	tests := []struct {
		in   string
		want Price
		err  bool
	}{
		{"0.15", 150, false},
		{"0.60", 600, false},
		{"2.50", 2500, false},
		{"10", 10000, false},
		{".075", 75, false},
		{"0.001", 1, false},
		{"0.0010000", 1, false},
		{"0", 0, false},
		{"0.0001", 0, true},
		{"0.01875", 0, true},
		{"-1", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{".", 0, true},
		{"abc", 0, true},
		{"1.2.3", 0, true},
	}
	for _, tt := range tests {
		got, err := ParsePerMillion(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParsePerMillion(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePerMillion(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if _, err := ParsePerMillion("0.0375"); !errors.Is(err, ErrTooPrecise) {
		t.Errorf("ParsePerMillion(0.0375) = %v, want ErrTooPrecise", err)
	}
}

func TestCostAndFormat(t *testing.T) {
	p, _ := ParsePerMillion("0.15")
	if got := p.Cost(1_000_000); got != 150_000_000 {
		t.Fatalf("cost of 1M tokens at 0.15/M = %d nanos, want 150000000", got)
	}
	if got := p.Cost(1_000_000).String(); got != "0.15" {
		t.Errorf("String = %q, want 0.15", got)
	}
	if got := Nanos(-2 * PerDollar).String(); got != "-2.00" {
		t.Errorf("String = %q, want -2.00", got)
	}
	if got := Nanos(1).String(); got != "0.000000001" {
		t.Errorf("String = %q", got)
	}
	if got := p.PerMillion(); got != "0.15" {
		t.Errorf("PerMillion = %q, want 0.15", got)
	}
	if got := Price(10000).PerMillion(); got != "10" {
		t.Errorf("PerMillion = %q, want 10", got)
	}
}
