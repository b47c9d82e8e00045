package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/switchyard/switchyard/internal/access"
)

// Key is a tenant's client key. Its secret is never stored: Digest is the
// secret's HMAC under the pepper (access.Keyring.Digest).
type Key struct {
	ID       string // "k_…", kept across rotations
	TenantID string
	Name     string
	Prefix   string // the secret's first characters, safe to show
	Digest   []byte
	// PrevDigest is the secret the last rotation replaced, valid until
	// PrevUntil (the grace period); empty when none.
	PrevDigest []byte
	PrevUntil  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: not revoked
	LastUsedAt time.Time

	AllowedModels []string // empty: the tenant's
	Limits        access.Limits
	Budget        access.Budget

	CreatedAt time.Time
	UpdatedAt time.Time
}

type keyDoc struct {
	AllowedModels []string      `json:"allowed_models,omitempty"`
	Limits        access.Limits `json:"limits"`
	Budget        budgetDoc     `json:"budget"`
}

func keyDocOf(k *Key) string {
	b, _ := json.Marshal(keyDoc{k.AllowedModels, k.Limits, toBudgetDoc(k.Budget)})
	return string(b)
}

func (s *sqlStore) CreateKey(ctx context.Context, k Key) error {
	if k.ID == "" || len(k.Digest) == 0 {
		return errors.New("store: create key: id and digest are required")
	}
	return s.writeAccess(ctx, "create key "+k.ID, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.bind("SELECT 1 FROM tenants WHERE id = ?"), k.TenantID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tenant %s: %w", k.TenantID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.bind(`INSERT INTO tenant_keys (id, tenant_id, name, prefix, digest, prev_digest, prev_until_ns,
			expires_ns, revoked_ns, last_used_ns, doc, created_ns, updated_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`),
			k.ID, k.TenantID, k.Name, k.Prefix, hex.EncodeToString(k.Digest), hex.EncodeToString(k.PrevDigest), ns(k.PrevUntil),
			ns(k.ExpiresAt), ns(k.RevokedAt), ns(k.LastUsedAt), keyDocOf(&k), ns(k.CreatedAt), ns(k.UpdatedAt))
		return err
	})
}

func (s *sqlStore) UpdateKey(ctx context.Context, k Key) error {
	return s.writeAccess(ctx, "update key "+k.ID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.bind(`UPDATE tenant_keys SET name = ?, prefix = ?, digest = ?, prev_digest = ?, prev_until_ns = ?,
			expires_ns = ?, revoked_ns = ?, doc = ?, updated_ns = ? WHERE id = ?`),
			k.Name, k.Prefix, hex.EncodeToString(k.Digest), hex.EncodeToString(k.PrevDigest), ns(k.PrevUntil),
			ns(k.ExpiresAt), ns(k.RevokedAt), keyDocOf(&k), ns(k.UpdatedAt), k.ID)
		return affected(res, err)
	})
}

const keyCols = "id, tenant_id, name, prefix, digest, prev_digest, prev_until_ns, expires_ns, revoked_ns, last_used_ns, doc, created_ns, updated_ns"

func scanKey(sc interface{ Scan(...any) error }) (Key, error) {
	var (
		k                                 Key
		digest, prev, doc                 string
		prevUntil, expires, revoked, used int64
		created, updatedNs                int64
	)
	if err := sc.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &digest, &prev, &prevUntil, &expires, &revoked, &used, &doc, &created, &updatedNs); err != nil {
		return Key{}, err
	}
	var err error
	if k.Digest, err = hex.DecodeString(digest); err != nil {
		return Key{}, fmt.Errorf("key %s: digest: %w", k.ID, err)
	}
	if k.PrevDigest, err = hex.DecodeString(prev); err != nil {
		return Key{}, fmt.Errorf("key %s: previous digest: %w", k.ID, err)
	}
	if len(k.PrevDigest) == 0 {
		k.PrevDigest = nil
	}
	var d keyDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return Key{}, fmt.Errorf("key %s: doc: %w", k.ID, err)
	}
	k.AllowedModels, k.Limits, k.Budget = d.AllowedModels, d.Limits, d.Budget.budget()
	k.PrevUntil, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromNs(prevUntil), fromNs(expires), fromNs(revoked), fromNs(used)
	k.CreatedAt, k.UpdatedAt = fromNs(created), fromNs(updatedNs)
	return k, nil
}

func (s *sqlStore) GetKey(ctx context.Context, id string) (Key, error) {
	k, err := scanKey(s.r.QueryRowContext(ctx, s.bind("SELECT "+keyCols+" FROM tenant_keys WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("store: key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Key{}, fmt.Errorf("store: key %s: %w", id, err)
	}
	return k, nil
}

func (s *sqlStore) ListKeys(ctx context.Context, tenantID, after string, limit int) ([]Key, error) {
	q, args := "SELECT "+keyCols+" FROM tenant_keys WHERE id > ? ORDER BY id LIMIT ?", []any{after, listLimit(limit)}
	if tenantID != "" {
		q, args = "SELECT "+keyCols+" FROM tenant_keys WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?", []any{tenantID, after, listLimit(limit)}
	}
	rows, err := s.r.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return out, nil
}

func (s *sqlStore) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids) // one lock order for every writer
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: touch keys: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	q := s.bind("UPDATE tenant_keys SET last_used_ns = ? WHERE id = ? AND last_used_ns < ?")
	for _, id := range ids {
		n := ns(used[id])
		if _, err := tx.ExecContext(ctx, q, n, id, n); err != nil {
			return fmt.Errorf("store: touch key %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: touch keys: %w", err)
	}
	return nil
}
