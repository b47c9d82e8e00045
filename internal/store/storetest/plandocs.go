package storetest

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

// testPlanDocs: admin-made plans and assignments come back plans first, each
// in the order last saved, a plan saved again replacing its document.
func testPlanDocs(t *testing.T, s store.Store) {
	ctx := context.Background()
	if docs, err := s.PlanDocs(ctx); err != nil || len(docs) != 0 {
		t.Fatalf("empty store: %v, %v", docs, err)
	}
	for _, d := range []store.PlanDoc{
		{Kind: store.PlanDocPlan, Name: "pro", Doc: `{"id":"pro","v":1}`},
		{Kind: store.PlanDocAssignment, Name: "t_a|pro|1", Doc: `{"tenant":"t_a"}`},
		{Kind: store.PlanDocPlan, Name: "growth", Doc: `{"id":"growth"}`},
		{Kind: store.PlanDocAssignment, Name: "t_b|growth|1", Doc: `{"tenant":"t_b"}`},
		{Kind: store.PlanDocPlan, Name: "pro", Doc: `{"id":"pro","v":2}`}, // a version appended
	} {
		if err := s.SavePlanDoc(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := s.PlanDocs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.Kind+" "+d.Name+" "+d.Doc)
		if d.Saved.IsZero() {
			t.Errorf("%s %s: no saved time", d.Kind, d.Name)
		}
	}
	want := []string{
		`plan growth {"id":"growth"}`,
		`plan pro {"id":"pro","v":2}`,
		`assignment t_a|pro|1 {"tenant":"t_a"}`,
		`assignment t_b|growth|1 {"tenant":"t_b"}`,
	}
	if len(got) != len(want) {
		t.Fatalf("documents:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("documents:\n%q\nwant\n%q", got, want)
		}
	}
	for _, bad := range []store.PlanDoc{
		{Kind: "price", Name: "x", Doc: "{}"},
		{Kind: store.PlanDocPlan, Name: "", Doc: "{}"},
		{Kind: store.PlanDocPlan, Name: "x", Doc: ""},
	} {
		if err := s.SavePlanDoc(ctx, bad); err == nil {
			t.Errorf("saved %+v", bad)
		}
	}
}
