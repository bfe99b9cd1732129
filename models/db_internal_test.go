package models

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	sqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// openWith opens path with a hand-written DSN query for both handles, to
// build the misconfigured databases Open must refuse.
func openWith(t *testing.T, path, query string) *DB {
	t.Helper()
	w, err := gorm.Open(sqlite.Open("file:"+path+"?"+query), newGormConfig())
	if err != nil {
		t.Fatal(err)
	}
	r, err := gorm.Open(sqlite.Open("file:"+path+"?"+query), newGormConfig())
	if err != nil {
		t.Fatal(err)
	}
	wsql, _ := w.DB()
	wsql.SetMaxOpenConns(1)
	db := &DB{W: w, R: r, Path: path}
	t.Cleanup(func() { db.Close() })
	return db
}

// The driver ignores DSN keys it does not know, so Open reads the settings
// back; each wrong one is refused.
func TestWrongDatabaseSettingsAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, query, complaint string
	}{
		{"rollback journal", "_journal_mode=DELETE&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate", "journal_mode=delete"},
		{"foreign keys off", "_journal_mode=WAL&_foreign_keys=off&_busy_timeout=10000&_txlock=immediate", "foreign_keys=0"},
		{"misspelt foreign keys key", "_journal_mode=WAL&_foreign_key=on&_busy_timeout=10000&_txlock=immediate", "foreign_keys=0"},
		{"no busy timeout", "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=0&_txlock=immediate", "busy_timeout=0"},
		{"deferred transactions", "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_txlock=deferred", "immediate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openWith(t, filepath.Join(t.TempDir(), "x.db"), tc.query)
			err := db.checkPragmas()
			if err == nil || !strings.Contains(err.Error(), "refusing to run") || !strings.Contains(err.Error(), tc.complaint) {
				t.Errorf("checkPragmas: %v (want a refusal naming %q)", err, tc.complaint)
			}
		})
	}
	// The DSN Open uses passes.
	path := filepath.Join(t.TempDir(), "ok.db")
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open with the real DSN: %v", err)
	}
	db.Close()
}

// Migrations that shipped are frozen: editing one would leave databases
// migrated by the old text different from new ones. Add a new migration
// instead, and freeze it here once it ships.
var frozenMigrations = []string{
	1: "e4f49bfef6dd36a2a5522fe3320791a58e48189d7f05d67f14e3d1055cae0ddd",
	2: "c9b08d8993ca109287bd29193038601c2fcc702383dcd7fd24f8319a36d717fb",
}

func TestShippedMigrationsAreUnchanged(t *testing.T) {
	t.Parallel()
	if len(migrations) < len(frozenMigrations)-1 {
		t.Fatalf("%d migrations, but %d have shipped: never remove one", len(migrations), len(frozenMigrations)-1)
	}
	for v := 1; v < len(frozenMigrations); v++ {
		sum := sha256.Sum256([]byte(migrations[v-1]))
		if got := hex.EncodeToString(sum[:]); got != frozenMigrations[v] {
			t.Errorf("migration %d changed after it shipped (sha256 %s); put the change in a new migration", v, got)
		}
	}
}

// A database left at an older version gets exactly the missing migrations,
// and what it held survives them.
func TestMigrateFromAnOlderVersion(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.W.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.applyMigration(1); err != nil {
		t.Fatal(err)
	}
	if err := db.W.Exec(`INSERT INTO organisations (name, created_at) VALUES ('Old Org', 1)`).Error; err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate()
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migrations)-1 || applied[0] != 2 {
		t.Errorf("applied %v, want 2..%d", applied, len(migrations))
	}
	var n int64
	db.R.Raw(`SELECT count(*) FROM organisations WHERE name = 'Old Org'`).Scan(&n)
	if n != 1 {
		t.Error("data from before the migration is gone")
	}
}

// A migration that fails leaves nothing behind: it runs in one transaction
// with its version row. Not parallel: it appends to the package's list.
func TestFailingMigrationIsRolledBack(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "bad.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(); err != nil {
		t.Fatal(err)
	}
	saved := migrations
	migrations = append(append([]string(nil), saved...), `CREATE TABLE half_done (id INTEGER); INSERT INTO organisations (name, created_at) VALUES ('Half', 1); THIS IS NOT SQL;`)
	defer func() { migrations = saved }()

	if _, err := db.Migrate(); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	if v, _ := db.SchemaVersion(); v != len(saved) {
		t.Errorf("version %d after a failed migration, want %d", v, len(saved))
	}
	var n int64
	db.R.Raw(`SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n)
	if n != 0 {
		t.Error("the failed migration's table stayed")
	}
	db.R.Raw(`SELECT count(*) FROM organisations WHERE name = 'Half'`).Scan(&n)
	if n != 0 {
		t.Error("the failed migration's row stayed")
	}
	if err := db.CheckSchema(); err == nil {
		t.Error("CheckSchema accepts a database whose last migration failed")
	}
}
