package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	sqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/logger"
)

// DB holds the two handles on one SQLite file. SQLite allows one writer at a
// time, so every write goes through W (one connection, immediate transactions:
// a deferred transaction that reads and then writes fails at once with
// "database is locked" whatever the busy timeout). Reads use the small pool R.
type DB struct {
	W    *gorm.DB
	R    *gorm.DB
	Path string
	// writer is W's connection pool: one connection, statements kept prepared.
	writer *writerPool
	ckpt   *checkpointer
	// bulk reads whole tables (the CSV export) with a small page cache, and
	// without taking a connection of the page readers.
	bulk *sql.DB
}

const busyTimeoutMs = 10000

// Page cache sizes (KiB). SQLite's default is 2 MB; on a database of a
// million claims every index update then reads its pages through system
// calls. Memory is bounded: 32 MB for the writer, 16 MB for each of the four
// readers, 6 MB for each bulk reader (an export reads the claims table once,
// in no useful order: a larger cache would only grow the process).
const (
	writerCacheKiB = 32000
	readerCacheKiB = 16000
	bulkCacheKiB   = 6000
)

func dsn(path string, readOnly bool, cacheKiB int) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMs))
	q.Set("_foreign_keys", "on")
	// NORMAL in WAL mode survives a killed process (the WAL is in the OS page
	// cache before COMMIT returns); only a power loss can drop the last commits.
	q.Set("_synchronous", "NORMAL")
	q.Set("_cache_size", fmt.Sprint(-cacheKiB))
	// database/sql hands a connection to one goroutine at a time, so SQLite's
	// per-connection mutex (the driver's default) only costs a lock and an
	// unlock around every call: each column of each row read.
	q.Set("_mutex", "no")
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_txlock", "deferred")
	} else {
		q.Set("_txlock", "immediate")
		q.Set("mode", "rwc")
	}
	return "file:" + path + "?" + q.Encode()
}

// driverName is mattn's SQLite driver with a connect hook for settings the
// DSN cannot carry.
const driverName = "sqlite3_cpor"

var registerDriver sync.Once

// register adds the driver once. Every connection keeps temporary data
// (statement journals, sort trees) in memory: on disk they cost about 40 %
// of a claim submission, measured.
func register() {
	registerDriver.Do(func() {
		sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		}})
	})
}

// Open opens (creating if needed) the database at path and checks its settings.
// It does not migrate; see Migrate and CheckSchema.
func Open(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// A fresh *gorm.Config per handle: gorm.Open keeps the config and stores
	// its callbacks in it, so a shared one would give the writer the reader's.
	register()
	wsql, err := sql.Open(driverName, dsn(path, false, writerCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pool, err := newWriterPool(context.Background(), wsql)
	if err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	wcfg := newGormConfig()
	wcfg.PrepareStmt = false // the pool keeps its statements prepared
	w, err := gorm.Open(sqlite.Dialector{DriverName: driverName, DSN: dsn(path, false, writerCacheKiB), Conn: pool}, wcfg)
	if err != nil {
		pool.close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	withoutReturning(w)

	r, err := gorm.Open(sqlite.Dialector{DriverName: driverName, DSN: dsn(path, true, readerCacheKiB)}, newGormConfig())
	if err != nil {
		pool.close()
		return nil, fmt.Errorf("open database for reading: %w", err)
	}
	rsql, _ := r.DB()
	rsql.SetMaxOpenConns(4)
	rsql.SetMaxIdleConns(4)
	rsql.SetConnMaxLifetime(0)

	bulk, err := sql.Open(driverName, dsn(path, true, bulkCacheKiB))
	if err != nil {
		pool.close()
		return nil, fmt.Errorf("open database for bulk reads: %w", err)
	}
	bulk.SetMaxOpenConns(2)
	bulk.SetMaxIdleConns(2)
	bulk.SetConnMaxLifetime(0)

	db := &DB{W: w, R: r, Path: path, writer: pool, bulk: bulk}
	if err := db.checkPragmas(); err != nil {
		db.Close()
		return nil, err
	}
	if err := pool.exclusive(func(c *sql.Conn) error {
		_, err := c.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %d",
			writerCheckpointPages, walSizeLimit))
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	if db.ckpt, err = startCheckpointer(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database checkpointer: %w", err)
	}
	return db, nil
}

func newGormConfig() *gorm.Config {
	return &gorm.Config{
		SkipDefaultTransaction: true,
		TranslateError:         true,
		PrepareStmt:            true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// withoutReturning makes Create use LastInsertId instead of INSERT … RETURNING.
// With RETURNING, GORM reads the returned row and resets the statement in a
// way that keeps SQLite's auto-checkpoint from running, and the -wal file then
// grows without bound under a steady stream of inserts.
func withoutReturning(db *gorm.DB) {
	cfg := &callbacks.Config{
		CreateClauses:        []string{"INSERT", "VALUES", "ON CONFLICT"},
		LastInsertIDReversed: true,
	}
	db.Callback().Create().Clauses = cfg.CreateClauses
	if err := db.Callback().Create().Replace("gorm:create", callbacks.Create(cfg)); err != nil {
		panic(err)
	}
}

// blob passes a byte slice to raw SQL as one BLOB value. GORM expands a
// slice argument whose placeholder directly follows "(" into a list (that is
// how IN (?) works), so a bare []byte as the first value of VALUES (?, …)
// would become one value per byte.
type blob []byte

// Value implements driver.Valuer; GORM passes Valuers through unexpanded.
func (b blob) Value() (driver.Value, error) { return []byte(b), nil }

// checkPragmas reads the settings back: the driver silently ignores DSN keys
// it does not know, so a typo would otherwise run the server without WAL or
// foreign keys.
func (db *DB) checkPragmas() error {
	for _, h := range []struct {
		name string
		db   *gorm.DB
	}{{"writer", db.W}, {"reader", db.R}} {
		var mode string
		var fk, busy, temp int
		if err := h.db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil {
			return err
		}
		if err := h.db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil {
			return err
		}
		if err := h.db.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
			return err
		}
		if err := h.db.Raw("PRAGMA temp_store").Scan(&temp).Error; err != nil {
			return err
		}
		if mode != "wal" || fk != 1 || busy < 1000 || db.writer != nil && temp != 2 {
			return fmt.Errorf("database %s settings are wrong (journal_mode=%s foreign_keys=%d busy_timeout=%d temp_store=%d); refusing to run",
				h.name, mode, fk, busy, temp)
		}
	}
	return db.checkImmediate()
}

// checkImmediate proves that a write transaction takes the write lock when it
// begins: while one is open, another connection cannot start a write.
func (db *DB) checkImmediate() error {
	probe, err := sql.Open("sqlite3", "file:"+db.Path+"?_busy_timeout=0&_txlock=immediate")
	if err != nil {
		return err
	}
	defer probe.Close()
	tx := db.W.Begin()
	if tx.Error != nil {
		return tx.Error
	}
	defer tx.Rollback()
	ptx, err := probe.BeginTx(context.Background(), nil)
	if err == nil {
		ptx.Rollback()
		return errors.New("database writer does not use immediate transactions; refusing to run")
	}
	return nil
}

// Close closes both handles, the reader first.
func (db *DB) Close() error {
	var errs []error
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	if db.bulk != nil {
		errs = append(errs, db.bulk.Close())
	}
	if s, err := db.R.DB(); err == nil {
		errs = append(errs, s.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.close())
	} else if s, err := db.W.DB(); err == nil {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// PlannerStable reports whether SQLite was built with SQLITE_ENABLE_QPSG (see
// the Makefile): without it every query with parameters is planned again
// each time it runs, about seven times the cost of a claim read.
func (db *DB) PlannerStable() bool {
	var n int
	err := db.R.Raw(`SELECT count(*) FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG'`).Scan(&n).Error
	return err == nil && n == 1
}

// Exclusive runs fn on the writer's raw connection with no other writer
// (bulk loads and multi-statement SQL).
func (db *DB) Exclusive(fn func(*sql.Conn) error) error {
	if db.writer == nil {
		return errors.New("database has no writer pool")
	}
	return db.writer.exclusive(fn)
}

// Checkpoint copies the WAL into the database and truncates it. The worker
// calls it on a schedule as a second guard on the WAL's size.
func (db *DB) Checkpoint() error {
	// The pragma returns a row. Exec through GORM's cached prepared
	// statement would step it without resetting it, and the still-active
	// statement then fails every later COMMIT on the writer ("SQL statements
	// in progress"); Scan reads the row and resets the statement.
	var res struct{ Busy, Log, Checkpointed int }
	return db.W.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&res).Error
}

// Optimize refreshes the query planner's statistics where SQLite thinks
// they are stale, reading a bounded sample so it stays cheap on a large file.
func (db *DB) Optimize() {
	var rows []struct{ X string }
	db.W.Raw("PRAGMA analysis_limit = 1000").Scan(&rows)
	db.W.Raw("PRAGMA optimize").Scan(&rows)
}

// Backup writes a consistent copy of the live database to dst with VACUUM
// INTO, which reads inside one transaction while the server keeps serving.
func (db *DB) Backup(dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s already exists", dst)
	}
	return db.R.Exec("VACUUM INTO ?", dst).Error
}
