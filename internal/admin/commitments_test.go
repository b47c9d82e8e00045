package admin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

func TestCommitmentReports(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Apply(ctx, storetest.NewGen(5, 3).Events(500)); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // the generator's three days start at 20:00
	cat := focus.Catalog{Providers: map[string]string{"azure": "azure"}, Commitments: map[string]commit.Terms{
		"macc": {Name: "macc", Provider: "azure", Kind: commit.Spend, Deployments: []string{"azure-east"},
			Amount: 100 * money.PerDollar, Start: start, End: start.AddDate(0, 0, 5), Version: "cv_test"},
	}}
	if err := commit.Record(ctx, st, []commit.Terms{cat.Commitments["macc"]}); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Token: testToken, Store: st, Catalog: func() focus.Catalog { return cat },
		Now: func() time.Time { return start.AddDate(0, 0, 10) }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := get("/admin/v1/reports/focus?from=2026-11-30&to=2026-12-05&granularity=hour")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("focus: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || !slices.Equal(recs[0], focus.Columns) || len(recs) < 10 {
		t.Fatalf("focus CSV: %v, %d records", err, len(recs))
	}
	var purchase, unused bool
	for _, r := range recs[1:] {
		cat, status := r[slices.Index(focus.Columns, "ChargeCategory")], r[slices.Index(focus.Columns, "CommitmentDiscountStatus")]
		purchase = purchase || cat == "Purchase"
		unused = unused || status == "Unused"
	}
	if !purchase || !unused {
		t.Errorf("the term lies in the period: want its purchase (%v) and unused (%v) rows", purchase, unused)
	}

	resp = get("/admin/v1/reports/commitments?to=2026-12-02T12:00:00Z")
	var doc commit.ReportDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("commitments: %d %v", resp.StatusCode, err)
	}
	if len(doc.Commitments) != 1 || doc.Commitments[0].Version != "cv_test" || doc.Commitments[0].Drawn == 0 || doc.Commitments[0].Elapsed != 0.5 ||
		len(doc.Commitments[0].History) != 1 || doc.Commitments[0].History[0].Version != "cv_test" {
		t.Errorf("commitments %+v", doc)
	}

	if resp := get("/admin/v1/reports/focus?granularity=week"); resp.StatusCode != 400 {
		t.Errorf("bad granularity: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/admin/v1/reports/focus", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("without the token: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}
