package models_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// TestGroupCommit: many writers at once share COMMITs, yet each one's
// transaction is its own — visible to other connections the moment it
// returns, and a failing one leaves nothing while its neighbours in the same
// group keep everything.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	db, _, _ := foundationStore(t)
	const writers, each = 16, 40
	errRefused := errors.New("refused")
	var committed, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				obj := fmt.Sprintf("%d.%d", w, i)
				fail := i%5 == 4
				err := db.W.Transaction(func(tx *gorm.DB) error {
					for k := range 2 { // two rows: all or nothing
						if err := tx.Exec(`INSERT INTO audit_log (at, actor, ip, kind, object, detail) VALUES (?, 'test', '', 'group.test', ?, ?)`,
							i, obj, k).Error; err != nil {
							return err
						}
					}
					if fail {
						return errRefused
					}
					return nil
				})
				switch {
				case fail && errors.Is(err, errRefused):
					refused.Add(1)
					if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind = 'group.test' AND object = ?`, obj); n != 0 {
						t.Errorf("refused transaction %s left %d rows", obj, n)
					}
				case !fail && err == nil:
					committed.Add(1)
					// Another connection sees it as soon as Transaction returns.
					if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind = 'group.test' AND object = ?`, obj); n != 2 {
						t.Errorf("transaction %s returned but a reader sees %d of its 2 rows", obj, n)
					}
				default:
					t.Errorf("transaction %s (fail=%v): %v", obj, fail, err)
				}
			}
		}()
	}
	wg.Wait()
	if got, want := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind = 'group.test'`), 2*committed.Load(); got != want {
		t.Errorf("%d rows in the log, want %d (%d committed, %d refused)", got, want, committed.Load(), refused.Load())
	}
	if committed.Load() != writers*each*4/5 {
		t.Errorf("%d transactions committed, want %d", committed.Load(), writers*each*4/5)
	}
}
