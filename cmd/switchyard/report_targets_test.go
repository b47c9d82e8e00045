package main

import (
	"regexp"
	"strconv"
	"testing"
)

// TestReportTargetsBacktest runs the forecast backtest as the README shows
// it: with no store, on the simulator's synthetic year of the demo's
// business. Every month but January (no history before it) gets a row,
// and the summary line holds the acceptance bar: at least 80% of months
// within ±12%.
func TestReportTargetsBacktest(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a year of traffic")
	}
	out, code := run(t, nil, "report", "targets", "--backtest")
	if code != 0 {
		t.Fatalf("report targets --backtest exited %d\n%s", code, out)
	}
	rows := regexp.MustCompile(`(?m)^ +2025-(0[2-9]|1[0-2]) +2025-\d\d-1[56] +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+ +(true|false)$`).FindAllString(out, -1)
	if len(rows) != 11 {
		t.Errorf("%d monthly rows, want February to December (11):\n%s", len(rows), out)
	}
	m := regexp.MustCompile(`(?m)^# (\d+) of (\d+) periods within ±12%`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line:\n%s", out)
	}
	within, n := atoi(t, m[1]), atoi(t, m[2])
	if n != 11 || 10*within < 8*n {
		t.Errorf("%d of %d months within ±12%%, want at least 80%% of 11:\n%s", within, n, out)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
