package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CommitmentVersions keeps the versions of the commitments seen in config.
type CommitmentVersions interface {
	// RecordCommitmentVersion records a commitment version; recording it
	// again is a no-op, and different terms under an id already stored is
	// ErrCommitmentVersionConflict (versions are immutable).
	RecordCommitmentVersion(ctx context.Context, v CommitmentVersion) error
	// CommitmentVersions lists the recorded versions by name, oldest first.
	CommitmentVersions(ctx context.Context) ([]CommitmentVersion, error)
}

// CommitmentVersion is one version of a commitment's terms. Terms is opaque
// JSON owned by the commitment accounting (internal/commit).
type CommitmentVersion struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Terms     string    `json:"terms"`
	FirstSeen time.Time `json:"first_seen"` // set by the store
}

// ErrCommitmentVersionConflict: an id recorded with other terms.
var ErrCommitmentVersionConflict = errors.New("store: commitment version already recorded with other terms")

func (s *sqlStore) RecordCommitmentVersion(ctx context.Context, v CommitmentVersion) error {
	if v.ID == "" || v.Name == "" {
		return errors.New("store: commitment version: empty id or name")
	}
	res, err := s.w.ExecContext(ctx, s.bind(
		"INSERT INTO commitment_versions (id, name, terms, first_seen_ns) VALUES (?,?,?,?) ON CONFLICT (id) DO NOTHING"),
		v.ID, v.Name, v.Terms, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: commitment version %q: %w", v.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	var name, terms string
	err = s.w.QueryRowContext(ctx, s.bind("SELECT name, terms FROM commitment_versions WHERE id = ?"), v.ID).Scan(&name, &terms)
	if err != nil {
		return fmt.Errorf("store: commitment version %q: %w", v.ID, err)
	}
	if name != v.Name || terms != v.Terms {
		return fmt.Errorf("%w: %q", ErrCommitmentVersionConflict, v.ID)
	}
	return nil
}

func (s *sqlStore) CommitmentVersions(ctx context.Context) ([]CommitmentVersion, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, name, terms, first_seen_ns FROM commitment_versions ORDER BY name, first_seen_ns, id")
	if err != nil {
		return nil, fmt.Errorf("store: commitment versions: %w", err)
	}
	defer rows.Close()
	var out []CommitmentVersion
	for rows.Next() {
		var v CommitmentVersion
		var ns int64
		if err := rows.Scan(&v.ID, &v.Name, &v.Terms, &ns); err != nil {
			return nil, fmt.Errorf("store: commitment versions: %w", err)
		}
		v.FirstSeen = time.Unix(0, ns).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: commitment versions: %w", err)
	}
	return out, nil
}
