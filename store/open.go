package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Options configures a store.
type Options struct {
	// Logger receives migration and cycle lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock (checkpoint times, fallback cycle times); nil means time.Now.
	Now func() time.Time
	// Password is the PostgreSQL password when it is kept out of the URL
	// (password_env, password_file); it replaces any password in the URL.
	// It is never logged nor returned in errors.
	Password string
	// BusyTimeout is how long a SQLite writer waits for another process's
	// lock before giving up; 0 means 15 seconds.
	BusyTimeout time.Duration
}

// sqlStore implements Store over database/sql for both SQLite and PostgreSQL.
type sqlStore struct {
	db    *sql.DB
	d     *dialect
	log   *slog.Logger
	now   func() time.Time
	where string // the database, safe to show (path or redacted URL)

	// beforeCommit, when set (tests only), runs just before RecordCycle
	// commits; an error aborts the cycle.
	beforeCommit func() error
}

var _ Store = (*sqlStore)(nil)

// target is a parsed store URL.
type target struct {
	d      *dialect
	driver string
	dsn    string
	where  string // safe to show
	path   string // SQLite file path ("" for in-memory and PostgreSQL)
}

// Open opens (creating and migrating it if needed) the store at url:
//
//	sqlite:///abs/path.db, sqlite://relative.db, file:path.db, a bare path,
//	or :memory:                                 SQLite (pure Go)
//	postgres://user@host:5432/db?sslmode=...   PostgreSQL (postgresql:// too)
//
// Errors never contain the PostgreSQL password.
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	t, err := parseTarget(rawURL, opts)
	if err != nil {
		return nil, err
	}
	s := &sqlStore{d: t.d, log: opts.Logger, now: opts.Now, where: t.where}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if t.path != "" {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o750); err != nil {
			return nil, fmt.Errorf("creating the directory of SQLite database %s: %w", t.where, err)
		}
	}
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s database %s: %w", t.d.title, t.where, err)
	}
	if t.d == sqliteDialect {
		// One connection: SQLite has a single writer anyway, and WAL lets
		// other processes read meanwhile. Keep it forever (in-memory databases
		// live only as long as their connection).
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(4)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	s.db = db
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s database %s: %w", t.d.title, t.where, describe(err))
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrating %s database %s: %w", t.d.title, t.where, err)
	}
	return s, nil
}

// Close closes the database.
func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing %s database %s: %w", s.d.title, s.where, err)
	}
	return nil
}

// describe adds a hint to errors whose cause is not obvious.
func describe(err error) error {
	if strings.Contains(err.Error(), "file is not a database") {
		return fmt.Errorf("not a SQLite database or corrupted: %w", err)
	}
	return err
}

func parseTarget(raw string, opts Options) (target, error) {
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return parsePostgres(raw, opts.Password)
	case raw == "":
		return target{}, errors.New("opening store: empty database URL")
	case raw == ":memory:" || lower == "sqlite://:memory:":
		return target{d: sqliteDialect, driver: "sqlite", dsn: "file::memory:?" + sqliteParams(opts), where: ":memory:"}, nil
	}
	var path string
	fromURL := true
	switch {
	case strings.HasPrefix(lower, "sqlite://"):
		path = raw[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		path = raw[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		path = raw[len("file:"):]
		if rest, ok := strings.CutPrefix(path, "//"); ok {
			path = strings.TrimPrefix(rest, "localhost")
		}
	case strings.Contains(raw, "://"):
		return target{}, fmt.Errorf("opening store %s: unsupported scheme (want sqlite://, file:, a path, or postgres://)", redactURL(raw))
	default:
		path, fromURL = raw, false
	}
	if path == "" || fromURL && strings.ContainsAny(path, "?#") {
		return target{}, fmt.Errorf("opening store %q: want a SQLite file path without query parameters", raw)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return target{}, fmt.Errorf("resolving SQLite path %s: %w", path, err)
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(abs))
	return target{
		d:      sqliteDialect,
		driver: "sqlite",
		dsn:    "file:" + esc + "?" + sqliteParams(opts),
		where:  abs,
		path:   abs,
	}, nil
}

// sqliteParams are the modernc.org/sqlite connection settings: WAL, a busy
// timeout, foreign keys, and BEGIN IMMEDIATE so a writer takes the lock up
// front instead of failing when it upgrades a read lock.
func sqliteParams(opts Options) string {
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 15 * time.Second
	}
	return fmt.Sprintf("_busy_timeout=%d&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate", busy.Milliseconds())
}

func parsePostgres(raw, password string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url errors quote the input, password included: do not wrap.
		return target{}, fmt.Errorf("opening store %s: invalid PostgreSQL URL", redactURL(raw))
	}
	if password != "" {
		user := ""
		if u.User != nil {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, password)
	}
	return target{d: postgresDialect, driver: "pgx", dsn: u.String(), where: redactURL(u.String())}, nil
}

// redactURL hides the password of a URL (user info and password= parameter).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i >= 0 {
			return raw[:i+3] + "(unparsable URL)"
		}
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
