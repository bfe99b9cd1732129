package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// writerPool is the single writing connection, given to GORM as its
// connection pool. It keeps every statement prepared on that connection and
// runs transactions as BEGIN IMMEDIATE … COMMIT on it.
//
// Why not database/sql's Tx: GORM's prepared-statement cache prepares a
// statement inside a transaction as bound to that transaction, and every
// later transaction prepares it again (database/sql re-prepares statements
// that belong to a transaction). On the claim engine that was a fifth of all
// CPU. Here a statement is prepared once per connection, whatever the
// transaction.
//
// One mutex serialises writers in Go, as SQLite does on disk: it is held for
// a whole transaction, or for one statement outside transactions. (Code that
// holds a transaction must not write outside it — with one connection that
// would wait for itself, exactly as it would with database/sql.)
//
// Group commit: a transaction that ends while others wait for the writer
// leaves SQLite's transaction open for them and waits for its COMMIT. Each
// caller's transaction is a savepoint inside it, so it still commits or
// rolls back as a whole; none returns before its changes are committed, and
// one COMMIT (writing the shared pages — counts, index and table tails —
// once) serves up to maxGroup of them. Under one caller nothing waits and
// every transaction commits at once, as before.
type writerPool struct {
	mu    sync.Mutex
	db    *sql.DB
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	// waiting counts the transactions blocked on mu; group is the open
	// SQLite transaction they will join (nil when none). Both under mu,
	// except waiting, which is atomic.
	waiting atomic.Int32
	group   *commitGroup
}

// commitGroup is one SQLite transaction shared by several callers.
type commitGroup struct {
	members int
	done    chan struct{} // closed after COMMIT (or its failure)
	err     error
}

// maxGroup bounds how many transactions share one COMMIT.
const maxGroup = 64

// maxCachedStmts bounds the cache: queries with expanded IN lists differ by length.
const maxCachedStmts = 1000

func newWriterPool(ctx context.Context, db *sql.DB) (*writerPool, error) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &writerPool{db: db, conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

// stmt returns the prepared statement for query; p.mu must be held. A
// multi-statement string (a migration, pragmas) is never prepared: only its
// first statement would run.
func (p *writerPool) stmt(ctx context.Context, query string) (*sql.Stmt, bool, error) {
	if st, ok := p.stmts[query]; ok {
		return st, true, nil
	}
	st, err := p.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	if len(p.stmts) < maxCachedStmts {
		p.stmts[query] = st
		return st, true, nil
	}
	return st, false, nil
}

func multiStatement(query string, args []any) bool {
	return len(args) == 0 && strings.Contains(strings.TrimRight(strings.TrimSpace(query), ";"), ";")
}

// lock takes the writer for a statement outside transactions, committing
// an open group first: the statement's effect must be durable when it returns.
func (p *writerPool) lock() {
	p.mu.Lock()
	p.commitGroupLocked()
}

// commitGroupLocked commits the open group, if any, and wakes its members.
func (p *writerPool) commitGroupLocked() error {
	g := p.group
	if g == nil {
		return nil
	}
	p.group = nil
	if _, err := p.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		p.conn.ExecContext(context.Background(), "ROLLBACK")
		g.err = err
	}
	close(g.done)
	return g.err
}

// exec runs a statement on the writer, without the caller's cancellation
// (as query and writerTx.QueryRowContext do). With a cancellable context the
// driver runs every Exec on a goroutine of its own and waits for it (a
// thread hand-off per statement, while every other writer waits); and a
// transaction that holds the writer should finish, not stop half-way
// because a browser went away.
func (p *writerPool) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if multiStatement(query, args) {
		return p.conn.ExecContext(ctx, query)
	}
	st, cached, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !cached {
		defer st.Close()
	}
	return st.ExecContext(ctx, args...)
}

func (p *writerPool) query(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	st, cached, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !cached {
		// Closing a statement waits for its rows; uncached ones are rare.
		rows, err := st.QueryContext(ctx, args...)
		defer st.Close()
		return rows, err
	}
	return st.QueryContext(ctx, args...)
}

// PrepareContext is part of gorm.ConnPool; GORM's own statement cache is
// off for the writer, so it is only called by code asking for a statement.
func (p *writerPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p.lock()
	defer p.mu.Unlock()
	return p.conn.PrepareContext(ctx, query)
}

// ExecContext runs one statement outside a transaction: as a transaction of
// its own, so it joins the open group instead of committing it early.
func (p *writerPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if multiStatement(query, args) {
		p.lock()
		defer p.mu.Unlock()
		return p.conn.ExecContext(ctx, query)
	}
	tx, err := p.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	res, err := p.exec(ctx, query, args)
	if err != nil {
		return nil, errors.Join(err, tx.(*writerTx).Rollback())
	}
	return res, tx.(*writerTx).Commit()
}

// QueryContext runs one query outside a transaction. Its rows are read
// after the lock is released, so it does not use a cached statement (another
// writer could run that statement while these rows are still open).
func (p *writerPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.lock()
	defer p.mu.Unlock()
	return p.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs one single-row query outside a transaction.
func (p *writerPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.lock()
	defer p.mu.Unlock()
	return p.conn.QueryRowContext(ctx, query, args...)
}

// BeginTx starts the caller's transaction: a new immediate transaction (the
// write lock is taken at once, so a transaction that reads and then writes
// never fails half-way), or a savepoint in the open group. The first member
// needs no savepoint — it is alone in the transaction — and so a large one
// (the worker's batches) keeps no in-memory journal of every page it
// changes, which a savepoint spanning it would.
func (p *writerPool) BeginTx(ctx context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	p.waiting.Add(1)
	p.mu.Lock()
	p.waiting.Add(-1)
	if p.group == nil {
		if _, err := p.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			p.mu.Unlock()
			return nil, err
		}
		p.group = &commitGroup{done: make(chan struct{}), members: 1}
		return &writerTx{p: p, g: p.group}, nil
	}
	if _, err := p.conn.ExecContext(ctx, "SAVEPOINT caller"); err != nil {
		err = errors.Join(err, p.commitGroupLocked())
		p.mu.Unlock()
		return nil, err
	}
	p.group.members++
	return &writerTx{p: p, g: p.group, savepoint: true}, nil
}

// end finishes a caller's transaction whose savepoint is released or rolled
// back: the group stays open for a waiting transaction, else it commits.
// A caller with changes in the group waits for the COMMIT.
func (p *writerPool) end(g *commitGroup, changed bool) error {
	if p.waiting.Load() > 0 && g.members < maxGroup {
		p.mu.Unlock()
		if !changed {
			return nil
		}
		<-g.done
		return g.err
	}
	err := p.commitGroupLocked()
	p.mu.Unlock()
	if !changed {
		return nil
	}
	return err
}

// exclusive runs fn with the raw connection and no other writer (migrations
// and the bulk seeder use it for multi-statement SQL and their own statements).
func (p *writerPool) exclusive(fn func(*sql.Conn) error) error {
	p.lock()
	defer p.mu.Unlock()
	return fn(p.conn)
}

func (p *writerPool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		st.Close()
		delete(p.stmts, q)
	}
	return errors.Join(p.conn.Close(), p.db.Close())
}

// writerTx is a caller's transaction: the first in the writer's open group,
// or a savepoint in it. It holds writerPool.mu until it ends.
type writerTx struct {
	p         *writerPool
	g         *commitGroup
	savepoint bool
	done      bool
}

func (t *writerTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.p.conn.PrepareContext(ctx, query)
}

func (t *writerTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.p.exec(ctx, query, args)
}

func (t *writerTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.p.query(ctx, query, args)
}

func (t *writerTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	st, cached, err := t.p.stmt(ctx, query)
	if err != nil {
		return t.p.conn.QueryRowContext(ctx, query, args...)
	}
	if !cached {
		defer st.Close()
	}
	return st.QueryRowContext(ctx, args...)
}

// Commit keeps the caller's changes and returns once they are committed.
// If that COMMIT fails, every transaction of the group gets the error and
// none of their changes stays.
func (t *writerTx) Commit() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	if t.savepoint {
		if _, err := t.p.conn.ExecContext(context.Background(), "RELEASE SAVEPOINT caller"); err != nil {
			t.undo()
			return errors.Join(err, t.p.end(t.g, false))
		}
	}
	return t.p.end(t.g, true)
}

// Rollback abandons the caller's changes; the group's others are kept.
func (t *writerTx) Rollback() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	err := t.undo()
	return errors.Join(err, t.p.end(t.g, false))
}

// undo rolls the caller's changes back: its savepoint, or the whole
// transaction when it began it (nothing else is in it yet). If a savepoint
// cannot be rolled back, the whole group is, and its members are told:
// nothing half-done is committed.
func (t *writerTx) undo() error {
	ctx := context.Background()
	var err error
	if t.savepoint {
		_, err = t.p.conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT caller")
		if err == nil {
			_, err = t.p.conn.ExecContext(ctx, "RELEASE SAVEPOINT caller")
		}
		if err == nil {
			return nil
		}
	}
	if t.p.group == t.g {
		t.p.group = nil
		if _, rbErr := t.p.conn.ExecContext(ctx, "ROLLBACK"); err == nil {
			err = rbErr
		}
		t.g.err = errors.Join(err, errors.New("transaction rolled back"))
		close(t.g.done)
	}
	return err
}
