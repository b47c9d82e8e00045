package plan

import (
	"testing"

	"github.com/switchyard/switchyard/internal/money"
)

func TestParseMarkup(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"+25%", 2500, false}, {"25%", 2500, false}, {"12.5%", 1250, false}, {"-10%", -1000, false},
		{"0%", 0, false}, {"0.01%", 1, false}, {"-100%", -10000, false}, {"+100000%", 10_000_000, false},
		{"25", 0, true}, {"0.001%", 0, true}, {"-101%", 0, true}, {"100001%", 0, true}, {"%", 0, true},
		{"abc%", 0, true}, {"1e3%", 0, true}, {"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMarkup(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseMarkup(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil {
			if back, _ := ParseMarkup(FormatMarkup(got)); back != got {
				t.Errorf("FormatMarkup(%d) = %q does not parse back", got, FormatMarkup(got))
			}
		}
	}
}

func TestApplyMarkup(t *testing.T) {
	tests := []struct {
		cost money.Nanos
		bp   int64
		want money.Nanos
	}{
		{1000, 2500, 1250},
		{1, 2500, 1},                // 1.25 rounds down
		{2, 2500, 3},                // 2.5 rounds half up
		{3, -5000, 2},               // 1.5 rounds half up
		{1000, -10000, 0},           // free
		{1000, 0, 1000},             // at cost
		{-1000, 2500, -1250},        // a refund keeps its sign
		{1 << 62, 10000, 1<<63 - 1}, // saturates, never wraps
		{7_000_000_000, 1000, 7_700_000_000},
	}
	for _, tt := range tests {
		if got := ApplyMarkup(tt.cost, tt.bp); got != tt.want {
			t.Errorf("ApplyMarkup(%d, %d) = %d, want %d", tt.cost, tt.bp, got, tt.want)
		}
	}
}
