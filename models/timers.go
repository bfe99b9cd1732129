package models

import (
	"context"
	"gorm.io/gorm"
	"time"
)

// processDueTimers applies the timers due at now, n per transaction.
func (s *Store) processDueTimers(ctx context.Context, now time.Time, n int) error {
	return nil
}

// scheduleSubscriptionEnded makes the worker end the open lines on a
// subscription the directory now marks ended.
func (s *Store) scheduleSubscriptionEnded(tx *gorm.DB, subscriptionID string) error {
	return nil
}
