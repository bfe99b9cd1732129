package models_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cpor/models"
)

func TestPragmasAreReadBack(t *testing.T) {
	t.Parallel()
	db, _, _ := foundationStore(t)
	for _, h := range []struct {
		name string
		raw  func(string, any) error
	}{
		{"writer", func(q string, dst any) error { return db.W.Raw(q).Scan(dst).Error }},
		{"reader", func(q string, dst any) error { return db.R.Raw(q).Scan(dst).Error }},
	} {
		var mode string
		var fk, busy, sync int
		if err := h.raw("PRAGMA journal_mode", &mode); err != nil || mode != "wal" {
			t.Errorf("%s journal_mode %q (%v)", h.name, mode, err)
		}
		if err := h.raw("PRAGMA foreign_keys", &fk); err != nil || fk != 1 {
			t.Errorf("%s foreign_keys %d (%v)", h.name, fk, err)
		}
		if err := h.raw("PRAGMA busy_timeout", &busy); err != nil || busy != 10000 {
			t.Errorf("%s busy_timeout %d (%v)", h.name, busy, err)
		}
		if err := h.raw("PRAGMA synchronous", &sync); err != nil || sync != 1 {
			t.Errorf("%s synchronous %d, want 1 (NORMAL) (%v)", h.name, sync, err)
		}
	}
	// Foreign keys are enforced, not only declared.
	err := db.W.Exec(`INSERT INTO sessions (id_hash, user_id, created_at, seen_at, expires_at) VALUES (x'00', 999999, 0, 0, 0)`).Error
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		t.Errorf("an orphan session was accepted: %v", err)
	}
	// The reader cannot write.
	if err := db.R.Exec(`DELETE FROM users`).Error; err == nil {
		t.Error("the read-only pool wrote")
	}
}

func TestOpenRefusesAFileThatIsNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not SQLite\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := models.Open(path); err == nil {
		db.Close()
		t.Fatal("opened a file that is not a database")
	}
}

// auditRow is an audit_log row written with GORM's Create, the code path
// whose INSERT … RETURNING once kept SQLite from checkpointing.
type auditRow struct {
	ID     int64
	At     int64
	Actor  string
	Kind   string
	Object string
	Detail string
}

func (auditRow) TableName() string { return "audit_log" }

// TestWALStaysBounded writes thousands of rows through the app's own write
// paths and checks the -wal file stays small: SQLite's auto-checkpoint must
// keep running (see withoutReturning in db.go).
func TestWALStaysBounded(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	ctx := context.Background()
	// The writer's own checkpoint is the backstop at 10,000 pages (40 MB):
	// healthy, the WAL stays under it; with checkpoints stopped (the
	// RETURNING bug) these 12,000 rows grew it to 77 MB.
	const rows = 4000
	const limit = 48 << 20
	walSize := func() int64 {
		fi, err := os.Stat(db.Path + "-wal")
		if errors.Is(err, fs.ErrNotExist) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	check := func(what string) {
		t.Helper()
		if n := walSize(); n > limit {
			t.Fatalf("after %d %s the -wal file is %.1f MiB (limit %d MiB): checkpoints are not running",
				rows, what, float64(n)/(1<<20), limit>>20)
		}
	}
	admin, err := store.UserByEmail(ctx, "admin@contoso-partner.test")
	if err != nil {
		t.Fatal(err)
	}

	for i := range rows {
		if err := store.AuditEvent(ctx, models.Actor{Label: "wal test", IP: "127.0.0.1"}, "wal.test", fmt.Sprint(i), strings.Repeat("x", 200)); err != nil {
			t.Fatal(err)
		}
	}
	check("audit events")

	for range rows {
		if _, err := store.CreateSession(ctx, admin.ID, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	check("sessions")

	var last int64
	for i := range rows {
		r := auditRow{At: int64(i), Actor: "gorm", Kind: "wal.create", Detail: strings.Repeat("y", 200)}
		if err := db.W.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.ID <= last {
			t.Fatalf("Create gave ID %d after %d: IDs must come back through LastInsertId", r.ID, last)
		}
		last = r.ID
	}
	check("GORM creates")
	if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind LIKE 'wal.%'`); n != 2*rows {
		t.Errorf("%d rows written, want %d", n, 2*rows)
	}
}

func TestBackupOfALiveDatabase(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	ctx := context.Background()

	// A writer keeps committing while the backup runs.
	var written atomic.Int64
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := store.AuditEvent(ctx, models.Actor{Label: "writer"}, "backup.test", fmt.Sprint(i), ""); err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for written.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("the writer managed only %d rows", written.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(300)
	dst := filepath.Join(t.TempDir(), "backup.db")
	backupErr := db.Backup(dst)
	waitFor(written.Load() + 100) // the writer went on during and after the backup
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("the writer failed during the backup: %v", err)
	}
	if backupErr != nil {
		t.Fatal(backupErr)
	}

	copyDB, err := models.Open(dst)
	if err != nil {
		t.Fatalf("the backup cannot be opened: %v", err)
	}
	defer copyDB.Close()
	if err := copyDB.CheckSchema(); err != nil {
		t.Errorf("backup schema: %v", err)
	}
	var integrity string
	if err := copyDB.R.Raw(`PRAGMA integrity_check`).Scan(&integrity).Error; err != nil || integrity != "ok" {
		t.Errorf("integrity_check %q (%v)", integrity, err)
	}
	// A consistent snapshot: a prefix of the writer's commits, without gaps.
	var n, maxIdx int64
	if err := copyDB.R.Raw(`SELECT count(*), coalesce(max(CAST(object AS INTEGER)), -1) FROM audit_log WHERE kind = 'backup.test'`).Row().Scan(&n, &maxIdx); err != nil {
		t.Fatal(err)
	}
	if n == 0 || maxIdx != n-1 {
		t.Errorf("backup holds %d writer rows with highest index %d: not a consistent prefix", n, maxIdx)
	}
	if live := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind = 'backup.test'`); n >= live {
		t.Errorf("backup has %d rows, the live database %d: the writes after the backup should be missing", n, live)
	}
	if users := countRows(t, copyDB, `SELECT count(*) FROM users`); users != int64(len(models.DemoAccounts)) {
		t.Errorf("backup has %d users", users)
	}
	// A backup never overwrites a file.
	if err := db.Backup(dst); err == nil {
		t.Error("Backup overwrote an existing file")
	}
}

func TestFreshDatabaseMigratesToLatest(t *testing.T) {
	t.Parallel()
	db, err := models.Open(filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(); err != nil || v != 0 {
		t.Fatalf("empty database at version %d (%v)", v, err)
	}
	if err := db.CheckSchema(); err == nil || !strings.Contains(err.Error(), "cpor migrate") {
		t.Errorf("CheckSchema on an empty database: %v", err)
	}
	applied, err := db.Migrate()
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != models.LatestSchema() || applied[0] != 1 || applied[len(applied)-1] != models.LatestSchema() {
		t.Errorf("applied %v, want 1..%d", applied, models.LatestSchema())
	}
	if v, _ := db.SchemaVersion(); v != models.LatestSchema() {
		t.Errorf("version %d after migrating, want %d", v, models.LatestSchema())
	}
	if err := db.CheckSchema(); err != nil {
		t.Error(err)
	}
	// Versions are recorded one by one, in order.
	var versions []int
	if err := db.R.Raw(`SELECT version FROM schema_migrations ORDER BY version`).Scan(&versions).Error; err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("recorded versions %v", versions)
		}
	}
	// Migrating again changes nothing.
	if applied, err := db.Migrate(); err != nil || len(applied) != 0 {
		t.Errorf("second Migrate applied %v (%v)", applied, err)
	}
	// A database from a newer program is refused, not touched.
	if err := db.W.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, models.LatestSchema()+1).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema: %v", err)
	}
	if err := db.CheckSchema(); err == nil {
		t.Error("CheckSchema accepts a newer schema")
	}
}

// The spec forbids AutoMigrate anywhere, tests included (SPEC §6).
func TestNoAutoMigrateAnywhere(t *testing.T) {
	t.Parallel()
	needle := "Auto" + "Migrate("
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), needle) {
			t.Errorf("%s calls GORM's AutoMigrate; add a versioned migration instead", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
