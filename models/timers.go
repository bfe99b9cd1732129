package models

import (
	"context"
	"time"
)

// processDueTimers applies the timers due at now, n per transaction.
func (s *Store) processDueTimers(ctx context.Context, now time.Time, n int) error {
	return nil
}
