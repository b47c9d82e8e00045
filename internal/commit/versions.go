package commit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

// termsJSON is the stored form of a version's terms.
type termsJSON struct {
	Name         string   `json:"name"`
	Provider     string   `json:"provider"`
	Kind         string   `json:"kind"`
	Deployments  []string `json:"deployments"`
	AmountNanos  int64    `json:"amount_nanos,omitempty"`
	PerMinute    int64    `json:"capacity_per_minute,omitempty"`
	Weights      [4]int64 `json:"token_weights_milli,omitempty"`
	PricePerHour int64    `json:"price_per_hour_nanos,omitempty"`
	Start        string   `json:"start"`
	End          string   `json:"end"`
}

// StoredVersion is t as the store records it.
func (t *Terms) StoredVersion() store.CommitmentVersion {
	j := termsJSON{Name: t.Name, Provider: t.Provider, Kind: t.Kind, Deployments: t.Deployments,
		AmountNanos: int64(t.Amount), PerMinute: t.PerMinute, PricePerHour: int64(t.PricePerHour),
		Start: t.Start.UTC().Format(time.RFC3339Nano), End: t.End.UTC().Format(time.RFC3339Nano)}
	if t.Kind == Capacity {
		j.Weights = t.Weights
	}
	b, _ := json.Marshal(j) // plain fields: cannot fail
	return store.CommitmentVersion{ID: t.Version, Name: t.Name, Terms: string(b)}
}

// Recorder is the store's side of commitment versions.
type Recorder interface {
	RecordCommitmentVersion(ctx context.Context, v store.CommitmentVersion) error
}

// Record records every commitment's version, so that a changed contract
// leaves its old terms in the store. Call it at start-up and on reload.
func Record(ctx context.Context, r Recorder, terms []Terms) error {
	for i := range terms {
		if err := r.RecordCommitmentVersion(ctx, terms[i].StoredVersion()); err != nil {
			return fmt.Errorf("commit: record %s: %w", terms[i].Name, err)
		}
	}
	return nil
}

// Seen is a version of a commitment and when the store first saw it.
type Seen struct {
	Version   string    `json:"version"`
	FirstSeen time.Time `json:"first_seen"`
}

// AttachHistory gives each status the versions of its commitment that the
// store has seen, oldest first.
func AttachHistory(ss []Status, vs []store.CommitmentVersion) {
	for i := range ss {
		for _, v := range vs {
			if v.Name == ss[i].Name {
				ss[i].History = append(ss[i].History, Seen{Version: v.ID, FirstSeen: v.FirstSeen})
			}
		}
	}
}
