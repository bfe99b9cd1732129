package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

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
type writerPool struct {
	mu    sync.Mutex
	db    *sql.DB
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

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

func (p *writerPool) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn.PrepareContext(ctx, query)
}

// ExecContext runs one statement outside a transaction.
func (p *writerPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exec(ctx, query, args)
}

// QueryContext runs one query outside a transaction. Its rows are read
// after the lock is released, so it does not use a cached statement (another
// writer could run that statement while these rows are still open).
func (p *writerPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs one single-row query outside a transaction.
func (p *writerPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn.QueryRowContext(ctx, query, args...)
}

// BeginTx starts an immediate transaction: the write lock is taken at once,
// so a transaction that reads and then writes never fails half-way.
func (p *writerPool) BeginTx(ctx context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	p.mu.Lock()
	if _, err := p.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	return &writerTx{p: p}, nil
}

// exclusive runs fn with the raw connection and no other writer (migrations
// and the bulk seeder use it for multi-statement SQL and their own statements).
func (p *writerPool) exclusive(fn func(*sql.Conn) error) error {
	p.mu.Lock()
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

// writerTx is a transaction on the writer; it holds writerPool.mu until it ends.
type writerTx struct {
	p    *writerPool
	done bool
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
	st, cached, err := t.p.stmt(ctx, query)
	if err != nil {
		return t.p.conn.QueryRowContext(ctx, query, args...)
	}
	if !cached {
		defer st.Close()
	}
	return st.QueryRowContext(ctx, args...)
}

// Commit ends the transaction. If COMMIT fails the transaction is rolled
// back, so the connection is never left inside one.
func (t *writerTx) Commit() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	defer t.p.mu.Unlock()
	if _, err := t.p.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.p.conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	return nil
}

// Rollback abandons the transaction.
func (t *writerTx) Rollback() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	defer t.p.mu.Unlock()
	_, err := t.p.conn.ExecContext(context.Background(), "ROLLBACK")
	return err
}
