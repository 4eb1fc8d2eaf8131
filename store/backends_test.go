package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freshDB creates an empty database for one test and returns its URL;
// mustOpen it as many times as needed (a restart, a replica).
type freshDB func(t *testing.T) string

func TestSQLite(t *testing.T) {
	runSuite(t, newSQLite)
}

func TestPostgres(t *testing.T) {
	requirePostgres(t)
	runSuite(t, func(t *testing.T) string { return newPostgres(t) })
}

func newSQLite(t *testing.T) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "sub", "driftwarden.db") // parent created by Open
}

func mustOpen(t *testing.T, u string) Store {
	t.Helper()
	s, err := Open(context.Background(), u, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func postgresURL() string {
	if u := os.Getenv("DRIFTWARDEN_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

var (
	pgOnce sync.Once
	pgErr  error
)

// requirePostgres skips when PostgreSQL is unreachable, except in CI
// (CI=true), which must prove both backends.
func requirePostgres(t testing.TB) {
	t.Helper()
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", postgresURL())
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pgErr = db.PingContext(ctx)
	})
	if pgErr == nil {
		return
	}
	msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v); set DRIFTWARDEN_TEST_POSTGRES_URL", redactURL(postgresURL()), pgErr)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " — CI must test both backends")
	}
	t.Skip(msg)
}

// newPostgres isolates a test in its own schema, dropped afterwards.
func newPostgres(t testing.TB) string {
	t.Helper()
	requirePostgres(t)
	admin, err := sql.Open("pgx", postgresURL())
	require.NoError(t, err)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "dw_test_" + hex.EncodeToString(b)
	_, err = admin.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		require.NoError(t, err)
		_ = admin.Close()
	})
	u, err := url.Parse(postgresURL())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestOpenCorruptSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.db")
	garbage := make([]byte, 8192)
	for i := range garbage {
		garbage[i] = byte(i*7 + 3)
	}
	require.NoError(t, os.WriteFile(path, garbage, 0o600))
	_, err := Open(context.Background(), path, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
	require.Contains(t, err.Error(), "not a SQLite database")
}

func TestParseTarget(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	tests := []struct {
		in, where, dialect, err string
	}{
		{in: "sqlite:///var/lib/dw/dw.db", where: "/var/lib/dw/dw.db", dialect: "sqlite"},
		{in: "sqlite://dw.db", where: filepath.Join(wd, "dw.db"), dialect: "sqlite"},
		{in: "file:/tmp/a b.db", where: "/tmp/a b.db", dialect: "sqlite"},
		{in: "file:///tmp/x.db", where: "/tmp/x.db", dialect: "sqlite"},
		{in: "data/dw.db", where: filepath.Join(wd, "data/dw.db"), dialect: "sqlite"},
		{in: ":memory:", where: ":memory:", dialect: "sqlite"},
		{in: "postgres://dw:hunter2@db:5432/dw?sslmode=require", where: "postgres://dw:xxxxx@db:5432/dw?sslmode=require", dialect: "postgres"},
		{in: "postgresql://dw@db/dw?password=hunter2", where: "postgresql://dw@db/dw?password=xxxxx", dialect: "postgres"},
		{in: "mysql://dw:hunter2@db/dw", err: "unsupported scheme"},
		{in: "sqlite://dw.db?mode=ro", err: "without query parameters"},
		{in: "", err: "empty database URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTarget(tt.in, Options{})
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.NotContains(t, err.Error(), "hunter2")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.where, got.where)
			require.Equal(t, tt.dialect, got.d.name)
		})
	}
}

func TestOpenNeverShowsPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, u := range []string{
		"postgres://dw:hunter2@127.0.0.1:1/dw?sslmode=disable&connect_timeout=2",
		"postgres://dw@127.0.0.1:1/dw?sslmode=disable&connect_timeout=2&password=hunter2",
	} {
		_, err := Open(ctx, u, Options{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "hunter2")
	}
	_, err := Open(ctx, "postgres://dw@127.0.0.1:1/dw?sslmode=disable&connect_timeout=2", Options{Password: "hunter2"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

func TestSQLiteSettings(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "dw.db"))
	db := rawDB(s).db
	var mode string
	var fk, busy int
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	require.NoError(t, db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
	require.NoError(t, db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy))
	require.Equal(t, "wal", mode)
	require.Equal(t, 1, fk)
	require.Equal(t, 15000, busy)

	mem := mustOpen(t, ":memory:")
	_, trs, err := mem.RecordCycle(context.Background(), cycle(0, []string{"a"}, fnd("A", "a", "high")))
	require.NoError(t, err)
	require.Len(t, trs, 1)
	all, err := mem.Findings(context.Background(), FindingFilter{})
	require.NoError(t, err)
	require.Len(t, all, 1)
}
