package models

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Worker is the one background loop: it delivers the outbox, applies due
// timers and checkpoints the WAL. Each pass is idempotent, so a restart simply
// continues where the last process stopped, and a pass after downtime catches
// up on everything that fell due meanwhile.
type Worker struct {
	store  *Store
	sender Sender
	from   string
	log    *slog.Logger

	// MaxAttempts is how many times a message is tried before it is failed.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles each time.
	Backoff time.Duration
	// Interval is the longest sleep between passes.
	Interval time.Duration
	// TimerBatch is how many due timers one transaction applies.
	TimerBatch int

	heartbeat atomic.Int64
}

// NewWorker builds the worker. sender may be nil only in tests that never deliver.
func NewWorker(s *Store, sender Sender, from string, log *slog.Logger) *Worker {
	return &Worker{store: s, sender: sender, from: from, log: log,
		MaxAttempts: 6, Backoff: time.Minute, Interval: time.Second, TimerBatch: 500}
}

// Heartbeat is when the worker last finished a pass.
func (w *Worker) Heartbeat() time.Time { return time.UnixMilli(w.heartbeat.Load()) }

// Run loops until ctx ends. A pass in progress finishes first (the drain on
// shutdown); sends in flight use their own timeout, not ctx.
func (w *Worker) Run(ctx context.Context) {
	checkpoint := time.NewTicker(time.Minute)
	defer checkpoint.Stop()
	w.store.db.Optimize()
	optimize := time.NewTicker(6 * time.Hour)
	defer optimize.Stop()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-optimize.C:
			w.store.db.Optimize()
			continue
		case <-checkpoint.C:
			if err := w.store.db.Checkpoint(); err != nil {
				w.log.Warn("wal checkpoint", "err", err)
			}
			continue
		case <-w.store.wake:
		case <-timer.C:
		}
		if err := w.RunOnce(context.WithoutCancel(ctx)); err != nil {
			w.log.Error("worker pass", "err", err)
		}
		timer.Reset(w.Interval)
	}
}

// RunOnce applies every due timer and delivers every due message once.
func (w *Worker) RunOnce(ctx context.Context) error {
	now := w.store.Now()
	if err := w.store.processDueTimers(ctx, now, w.TimerBatch); err != nil {
		return err
	}
	if err := w.deliverDue(ctx, now); err != nil {
		return err
	}
	w.heartbeat.Store(time.Now().UnixMilli())
	return nil
}

func (w *Worker) deliverDue(ctx context.Context, now time.Time) error {
	for {
		batch, err := w.store.dueMail(ctx, now, 50)
		if err != nil || len(batch) == 0 {
			return err
		}
		for i := range batch {
			m := &batch[i]
			err := w.store.render(m)
			if err == nil && w.sender == nil {
				err = ErrNoSender
			}
			if err == nil {
				sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err = w.sender.Send(sendCtx, w.from, m)
				cancel()
			}
			if err != nil {
				w.log.Warn("mail delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "err", err)
				if err := w.store.markFailedAttempt(ctx, *m, err, w.MaxAttempts, w.Backoff); err != nil {
					return err
				}
				if m.Attempts+1 >= w.MaxAttempts && m.ClaimID != 0 {
					if err := w.store.afterMailFailed(ctx, m.ID); err != nil {
						return err
					}
				}
				continue
			}
			if err := w.store.markSent(ctx, m); err != nil {
				return err
			}
		}
		if len(batch) < 50 {
			return nil
		}
	}
}
