package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered NNNN_name.sql files, one directory per backend.
//
//go:embed migrations
var migrationsFS embed.FS

type migration struct {
	version int64
	name    string
	sql     string
}

func loadMigrations(backend string) ([]migration, error) {
	dir := "migrations/" + backend
	ents, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		b, err := migrationsFS.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, e.Name(), string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// statements splits a migration into statements at semicolons ending a
// line; the migrations hold no semicolons inside literals.
func statements(src string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(src, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// migrate applies the migrations not yet recorded in schema_migrations, all
// in one transaction. lock, when set, runs first inside it so that replicas
// starting together migrate one at a time.
func migrate(ctx context.Context, db *sql.DB, backend, lock string) error {
	ms, err := loadMigrations(backend)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx,
		"CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ns BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int64]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for _, st := range statements(m.sql) {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("store: migrate %s: %w", m.name, err)
			}
		}
		// Literal values: the dialects number placeholders differently.
		ins := fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at_ns) VALUES (%d, '%s', %d)",
			m.version, strings.ReplaceAll(m.name, "'", "''"), time.Now().UnixNano())
		if _, err := tx.ExecContext(ctx, ins); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}
