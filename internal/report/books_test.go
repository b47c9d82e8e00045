package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

func TestParseBooksQuery(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	q, err := ParseBooksQuery("2026-12-01", "", "plan, arm,tenant", "", "table", now)
	if err != nil || strings.Join(q.GroupBy, ",") != "plan,arm,tenant" || !q.To.Equal(now) || q.Format != "table" {
		t.Fatalf("ParseBooksQuery = %+v, %v", q, err)
	}
	for _, bad := range [][4]string{{"", "", "colour", ""}, {"", "", "", "xml"}, {"yesterday", "", "", ""}, {"2026-12-02", "2026-12-01", "", ""}} {
		if _, err := ParseBooksQuery(bad[0], bad[1], bad[2], bad[3], "table", now); err == nil {
			t.Errorf("ParseBooksQuery(%q) accepted", bad)
		}
	}
}

func TestBooksReport(t *testing.T) {
	q := Query{From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), GroupBy: []string{"plan"}}
	rows := []store.BooksRow{
		{Group: map[string]string{"plan": "pro"}, Revenue: 3 * money.PerDollar, Cost: 2 * money.PerDollar, Committed: money.PerDollar, Requests: 4, Attempts: 5},
		{Group: map[string]string{"plan": ""}, Revenue: 0, Cost: 1, Requests: 0, Attempts: 1},
	}
	b := NewBooks("margin", q, rows)
	if b.Total.Revenue != 3*money.PerDollar || b.Total.Margin != money.PerDollar-1 || b.Total.MarginPercent != "33.33" || b.Total.Attempts != 6 {
		t.Fatalf("total %+v", b.Total)
	}
	if b.Rows[0].MarginPercent != "33.33" || b.Rows[1].MarginPercent != "" || b.Rows[1].Margin != -1 {
		t.Fatalf("rows %+v", b.Rows)
	}

	var csv bytes.Buffer
	if err := b.Write(&csv, "csv"); err != nil {
		t.Fatal(err)
	}
	want := "plan,requests,attempts,revenue_usd,cost_usd,committed_cost_usd,margin_usd,margin_pct\n" +
		"pro,4,5,3.00,2.00,1.00,1.00,33.33\n" +
		"-,0,1,0.00,0.000000001,0.00,-0.000000001,-\n"
	if csv.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", csv.String(), want)
	}

	var tab bytes.Buffer
	NewBooks("revenue", q, rows).Write(&tab, "table")
	lines := strings.Split(strings.TrimSpace(tab.String()), "\n")
	// The revenue report leaves out groups with cost alone.
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "# revenue 2026-12-01T00:00:00Z") ||
		strings.Join(strings.Fields(lines[3]), " ") != "TOTAL 4 3.00" {
		t.Errorf("table:\n%s", tab.String())
	}

	var js bytes.Buffer
	b.Write(&js, "json")
	var back Books
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Total.Margin != b.Total.Margin || back.Total.MarginPercent != "33.33" || back.Report != "margin" {
		t.Errorf("json round trip: %v %+v", err, back.Total)
	}
}
