package main

import (
	"os"
	"testing"
	"time"
)

func TestStreamTokensByRate(t *testing.T) {
	o := &options{}
	var err error
	if o.streamTokens, err = parseRateTokens("2000:5, 500:20"); err != nil {
		t.Fatal(err)
	}
	for rate, want := range map[float64]int{100: 20, 500: 20, 1999: 20, 2000: 5, 5000: 5} {
		if got := o.streamTokensAt(rate); got != want {
			t.Errorf("tokens at %g req/s = %d, want %d", rate, got, want)
		}
	}
	if o.streamTokens, err = parseRateTokens("12"); err != nil || o.streamTokensAt(2000) != 12 {
		t.Errorf("plain N: %v, %d", err, o.streamTokensAt(2000))
	}
	for _, bad := range []string{"", "x", "500:0", "500:", "-1:5", "500:5,"} {
		if _, err := parseRateTokens(bad); err == nil {
			t.Errorf("parseRateTokens(%q) accepted", bad)
		}
	}
}

func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	if _, err := cpuTime(pid); err != nil {
		t.Errorf("cpuTime: %v", err)
	}
	rss, hwm, err := memory(pid)
	if err != nil || rss <= 0 || hwm < rss {
		t.Errorf("memory: rss %d, hwm %d, %v", rss, hwm, err)
	}
	stats, err := cpuStats()
	if err != nil || len(stats) == 0 {
		t.Fatalf("cpuStats: %v, %d CPUs", err, len(stats))
	}
	if st := stats[0]; st.Total <= 0 || st.Task > st.Total {
		t.Errorf("cpu0: %+v", st)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		420 * time.Microsecond:   "420µs",
		-37 * time.Microsecond:   "−37µs",
		2345 * time.Microsecond:  "2.35ms",
		48800 * time.Microsecond: "48.8ms",
		2700 * time.Millisecond:  "2.70s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
	if got := fmtAdded(15 * time.Microsecond); got != "+15µs" {
		t.Errorf("fmtAdded = %q", got)
	}
	if r, st := ratio(130, 100); r != "1.30×" || st != "met" {
		t.Errorf("ratio(130, 100) = %s, %s", r, st)
	}
	if _, st := ratio(131, 100); st != "**missed**" {
		t.Errorf("ratio(131, 100) state %s", st)
	}
	if r, _ := ratio(5, -3); r != "n/a" {
		t.Errorf("ratio against a negative bare = %s", r)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--quick", "--rates", "100,300", "--modes", "stream"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != time.Second || len(o.rates) != 2 || !o.modes["stream"] || o.modes["non-stream"] {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{"--rates", "0"}, {"--modes", "batch"}, {"extra"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
