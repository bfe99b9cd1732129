package models

import (
	"context"
	"database/sql"
	"os"
	"time"
)

// The WAL is copied back into the database file by a background
// checkpointer on its own connection, not by the writer. SQLite's automatic
// checkpoint runs inside the COMMIT that crosses its threshold, on the
// writer's thread and with the write lock held: on the million-claim
// database that made the average COMMIT of a claim submission 590 µs (every
// ~50th commit copied 1,000 pages and synced the file). A PASSIVE
// checkpoint from another connection runs beside the writer on the other
// core and never blocks it; the writer restarts the WAL from its beginning
// once everything in it has been copied, so the file stays small.
const (
	checkpointEvery = 50 * time.Millisecond
	// writerCheckpointPages is the backstop: SQLite's own checkpoint, run
	// inside a COMMIT on the writer, for when the checkpointer cannot catch
	// up completely (under a steady stream of writes the WAL restarts only
	// after a checkpoint that has nothing left to copy, and only the
	// writer's own, between two commits, gets there). At SQLite's default
	// (1,000 pages) it ran inside every other group commit: 9.5 ms a COMMIT,
	// against 3.4 ms at 10,000, measured on the million-claim database.
	writerCheckpointPages = 10000
	// walSizeLimit is what the WAL file is cut back to after a restart
	// (10,000 pages are 40 MB).
	walSizeLimit = 48 << 20
)

// checkpointer runs PASSIVE checkpoints until stopped.
type checkpointer struct {
	db   *sql.DB
	wal  string // the WAL file's path
	stop chan struct{}
	done chan struct{}
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open(driverName, dsn(path, false, 512))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	c := &checkpointer{db: db, wal: path + "-wal", stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var lastSize int64
	var grewAt time.Time
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A WAL larger than its limit has not started over since it
			// outgrew it; one that grew within the last second means a
			// steady stream of writes (the worker catching up on deadlines)
			// that these passes do not catch up with, while each holds the
			// checkpoint lock the writer's own checkpoint needs. That one
			// runs inside a COMMIT, with no write in progress, so it copies
			// everything and the next write starts the WAL over: these
			// passes step aside for it. On 30,000 deadlines the WAL peaked
			// at 200–610 MB with them, at 95 MB without. Once writes stop,
			// a pass finishes the copy.
			if st, err := os.Stat(c.wal); err == nil && st.Size() > walSizeLimit {
				if st.Size() != lastSize {
					lastSize, grewAt = st.Size(), time.Now()
				}
				if time.Since(grewAt) < time.Second {
					continue
				}
			}
			// Errors (a busy checkpointer lock) only mean "next time".
			var busy, log, done int
			_ = c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		}
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
