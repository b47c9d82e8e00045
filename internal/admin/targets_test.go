package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/target"
)

func TestTargetsReport(t *testing.T) {
	src := func(context.Context) []target.Status {
		return []target.Status{{Target: "rev", Metric: target.Revenue, Unit: "usd", Goal: 5_000_000_000, State: target.WillMiss}}
	}
	cases := []struct {
		name, query string
		src         Targets
		status      int
		body        string
	}{
		{"json", "", src, 200, `"state": "will_miss"`},
		{"table", "?format=table", src, 200, "5.00"},
		{"bad format", "?format=xml", src, 400, "bad_query"},
		{"none configured", "", nil, 503, "no_targets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := New(Options{Token: "tok", Targets: tc.src})
			req := httptest.NewRequest(http.MethodGet, "/admin/v1/reports/targets"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer tok")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%d %s, want %d containing %s", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
		})
	}
}
