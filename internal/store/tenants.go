package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
)

// Tenants keeps tenants and their client keys. Every write moves
// AccessVersion, which replicas poll to reload their keyrings.
type Tenants interface {
	// CreateTenant stores a new tenant; ErrConflict when its id or name is taken.
	CreateTenant(ctx context.Context, t Tenant) error
	// GetTenant returns one tenant; ErrNotFound when there is none.
	GetTenant(ctx context.Context, id string) (Tenant, error)
	// ListTenants returns up to limit tenants with ids after after, by id.
	ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error)
	// UpdateTenant replaces a tenant's fields (not CreatedAt); ErrNotFound,
	// or ErrConflict when the new name is another tenant's.
	UpdateTenant(ctx context.Context, t Tenant) error

	// CreateKey stores a new key; ErrNotFound when its tenant does not
	// exist, ErrConflict when its id or digest is taken.
	CreateKey(ctx context.Context, k Key) error
	// GetKey returns one key; ErrNotFound when there is none.
	GetKey(ctx context.Context, id string) (Key, error)
	// ListKeys returns up to limit keys of tenantID ("" for every tenant)
	// with ids after after, by id.
	ListKeys(ctx context.Context, tenantID, after string, limit int) ([]Key, error)
	// UpdateKey replaces a key's fields (not TenantID, CreatedAt or
	// LastUsedAt); ErrNotFound.
	UpdateKey(ctx context.Context, k Key) error
	// TouchKeys records when keys were last used; it never moves a last
	// use back and does not move AccessVersion. Unknown ids are ignored.
	TouchKeys(ctx context.Context, used map[string]time.Time) error
	// AccessVersion changes whenever a tenant or key is written.
	AccessVersion(ctx context.Context) (int64, error)
}

// Errors of Tenants, for errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict")
)

// Tenant statuses.
const (
	TenantActive   = "active"
	TenantDisabled = "disabled"
)

// Tenant is a customer of the gateway: its keys, constraints, limits and budget.
type Tenant struct {
	ID     string // "t_…"
	Name   string // unique
	Status string // TenantActive | TenantDisabled
	Plan   string // a plan's id; "" charges the serving deployment's price

	AllowedModels    []string // empty: all
	AllowedProviders []string
	AllowedRegions   []string
	Tags             []string
	Metadata         map[string]string
	Limits           access.Limits
	Budget           access.Budget

	CreatedAt time.Time
	UpdatedAt time.Time
}

// budgetDoc is a budget as stored: money as integer nano-dollars.
type budgetDoc struct {
	Nanos  money.Nanos `json:"nanos,omitempty"`
	Period string      `json:"period,omitempty"`
	TZ     string      `json:"tz,omitempty"`
	Hard   bool        `json:"hard,omitempty"`
}

func toBudgetDoc(b access.Budget) budgetDoc {
	return budgetDoc{Nanos: b.USD, Period: b.Period, TZ: b.TZ, Hard: b.Hard}
}

func (d budgetDoc) budget() access.Budget {
	return access.Budget{USD: d.Nanos, Period: d.Period, TZ: d.TZ, Hard: d.Hard}
}

type tenantDoc struct {
	AllowedModels    []string          `json:"allowed_models,omitempty"`
	AllowedProviders []string          `json:"allowed_providers,omitempty"`
	AllowedRegions   []string          `json:"allowed_regions,omitempty"`
	Tags             []string          `json:"tags,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Limits           access.Limits     `json:"limits"`
	Budget           budgetDoc         `json:"budget"`
}

func tenantDocOf(t *Tenant) string {
	b, _ := json.Marshal(tenantDoc{t.AllowedModels, t.AllowedProviders, t.AllowedRegions, t.Tags, t.Metadata, t.Limits, toBudgetDoc(t.Budget)})
	return string(b)
}

// ns is t in Unix nanoseconds, 0 for the zero time; fromNs is its inverse.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNs(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// bumpAccess moves access_version inside a write's transaction.
func bumpAccess(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "UPDATE store_meta SET value = value + 1 WHERE name = 'access_version'")
	return err
}

// isUnique reports a unique-constraint violation, worded differently by
// each driver (SQLite: "UNIQUE constraint failed", Postgres: SQLSTATE 23505).
func isUnique(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint") || strings.Contains(s, "23505")
}

func (s *sqlStore) CreateTenant(ctx context.Context, t Tenant) error {
	if t.ID == "" || t.Name == "" {
		return fmt.Errorf("store: create tenant: id and name are required")
	}
	return s.writeAccess(ctx, "create tenant "+t.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.bind("INSERT INTO tenants (id, name, status, plan, doc, created_ns, updated_ns) VALUES (?,?,?,?,?,?,?)"),
			t.ID, t.Name, t.Status, t.Plan, tenantDocOf(&t), ns(t.CreatedAt), ns(t.UpdatedAt))
		return err
	})
}

func (s *sqlStore) UpdateTenant(ctx context.Context, t Tenant) error {
	return s.writeAccess(ctx, "update tenant "+t.ID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.bind("UPDATE tenants SET name = ?, status = ?, plan = ?, doc = ?, updated_ns = ? WHERE id = ?"),
			t.Name, t.Status, t.Plan, tenantDocOf(&t), ns(t.UpdatedAt), t.ID)
		return affected(res, err)
	})
}

// affected turns an UPDATE that matched no row into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// writeAccess runs fn and moves access_version in one transaction, mapping
// unique violations to ErrConflict.
func (s *sqlStore) writeAccess(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: %s: %w", what, ErrConflict)
		}
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := bumpAccess(ctx, tx); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: %s: %w", what, ErrConflict)
		}
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

const tenantCols = "id, name, status, plan, doc, created_ns, updated_ns"

func scanTenant(sc interface{ Scan(...any) error }) (Tenant, error) {
	var (
		t                  Tenant
		doc                string
		created, updatedNs int64
	)
	if err := sc.Scan(&t.ID, &t.Name, &t.Status, &t.Plan, &doc, &created, &updatedNs); err != nil {
		return Tenant{}, err
	}
	var d tenantDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return Tenant{}, fmt.Errorf("tenant %s: doc: %w", t.ID, err)
	}
	t.AllowedModels, t.AllowedProviders, t.AllowedRegions, t.Tags, t.Metadata = d.AllowedModels, d.AllowedProviders, d.AllowedRegions, d.Tags, d.Metadata
	t.Limits, t.Budget = d.Limits, d.Budget.budget()
	t.CreatedAt, t.UpdatedAt = fromNs(created), fromNs(updatedNs)
	return t, nil
}

func (s *sqlStore) GetTenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, s.bind("SELECT "+tenantCols+" FROM tenants WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("store: tenant %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant %s: %w", id, err)
	}
	return t, nil
}

func (s *sqlStore) ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error) {
	rows, err := s.r.QueryContext(ctx, s.bind("SELECT "+tenantCols+" FROM tenants WHERE id > ? ORDER BY id LIMIT ?"), after, listLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: list tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list tenants: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tenants: %w", err)
	}
	return out, nil
}

// listLimit bounds one page.
func listLimit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

func (s *sqlStore) AccessVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, "SELECT value FROM store_meta WHERE name = 'access_version'").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: access version: %w", err)
	}
	return v, nil
}
