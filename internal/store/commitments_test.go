package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

func testCommitmentVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := store.CommitmentVersion{ID: "cv_a", Name: "macc", Terms: `{"amount":1}`}
	b := store.CommitmentVersion{ID: "cv_b", Name: "macc", Terms: `{"amount":2}`}
	for _, v := range []store.CommitmentVersion{a, b, a} {
		if err := s.RecordCommitmentVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	conflict := a
	conflict.Terms = `{"amount":3}`
	if err := s.RecordCommitmentVersion(ctx, conflict); !errors.Is(err, store.ErrCommitmentVersionConflict) {
		t.Errorf("changed terms under a recorded id: %v", err)
	}
	vs, err := s.CommitmentVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Terms != a.Terms || vs[1].Terms != b.Terms || vs[0].FirstSeen.IsZero() {
		t.Errorf("versions %+v", vs)
	}
}

func TestCommitmentVersionsSQLite(t *testing.T) {
	s, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testCommitmentVersions(t, s)
}

func TestCommitmentVersionsPostgres(t *testing.T) {
	postgresURL(t)
	testCommitmentVersions(t, openPostgres(t))
}
