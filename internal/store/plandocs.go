package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AdminPlans keeps the plans and plan assignments made through the admin
// API, as the JSON documents the API accepted, so that they outlive a restart
// and every replica that starts later reads them.
type AdminPlans interface {
	// SavePlanDoc stores d, replacing the document of the same kind and name.
	SavePlanDoc(ctx context.Context, d PlanDoc) error
	// PlanDocs lists the documents: plans first, then assignments, each
	// in the order they were last saved.
	PlanDocs(ctx context.Context) ([]PlanDoc, error)
}

// Kinds of PlanDoc.
const (
	PlanDocPlan       = "plan"
	PlanDocAssignment = "assignment"
)

// PlanDoc is one saved plan (by its name) or assignment (by an id its
// maker chooses). Doc is opaque JSON owned by the admin API.
type PlanDoc struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name"`
	Doc   string    `json:"doc"`
	Saved time.Time `json:"saved"` // set by the store
}

func (s *sqlStore) SavePlanDoc(ctx context.Context, d PlanDoc) error {
	if d.Kind != PlanDocPlan && d.Kind != PlanDocAssignment {
		return fmt.Errorf("store: plan document: kind %q is neither %q nor %q", d.Kind, PlanDocPlan, PlanDocAssignment)
	}
	if d.Name == "" || d.Doc == "" {
		return errors.New("store: plan document: empty name or document")
	}
	_, err := s.w.ExecContext(ctx, s.bind(
		"INSERT INTO admin_plan_docs (kind, name, doc, seq) VALUES (?,?,?,?) "+
			"ON CONFLICT (kind, name) DO UPDATE SET doc = excluded.doc, seq = excluded.seq"),
		d.Kind, d.Name, d.Doc, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: plan document %s %q: %w", d.Kind, d.Name, err)
	}
	return nil
}

func (s *sqlStore) PlanDocs(ctx context.Context) ([]PlanDoc, error) {
	// 'plan' sorts before 'assignment' only by the CASE: plans must be in
	// force before the assignments that name them are replayed.
	rows, err := s.r.QueryContext(ctx, "SELECT kind, name, doc, seq FROM admin_plan_docs "+
		"ORDER BY CASE kind WHEN 'plan' THEN 0 ELSE 1 END, seq, name")
	if err != nil {
		return nil, fmt.Errorf("store: plan documents: %w", err)
	}
	defer rows.Close()
	var out []PlanDoc
	for rows.Next() {
		var d PlanDoc
		var seq int64
		if err := rows.Scan(&d.Kind, &d.Name, &d.Doc, &seq); err != nil {
			return nil, fmt.Errorf("store: plan documents: %w", err)
		}
		d.Saved = time.Unix(0, seq).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: plan documents: %w", err)
	}
	return out, nil
}
