package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cpor/handlers/handlertest"
	"cpor/models"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	handlertest.WantStatus(t, c.Get("/healthz"), http.StatusOK)

	// The worker has never run: not ready.
	r := c.Get("/readyz")
	handlertest.WantStatus(t, r, http.StatusServiceUnavailable)
	if !strings.Contains(r.Body, "worker") {
		t.Errorf("503 does not say why: %q", r.Body)
	}

	env.RunWorker(t)
	handlertest.WantStatus(t, c.Get("/readyz"), http.StatusOK)

	// A schema one version behind the program: not ready (and liveness holds).
	latest := models.LatestSchema()
	env.Exec(t, `DELETE FROM schema_migrations WHERE version = ?`, latest)
	r = c.Get("/readyz")
	handlertest.WantStatus(t, r, http.StatusServiceUnavailable)
	if !strings.Contains(r.Body, "schema") {
		t.Errorf("503 does not say why: %q", r.Body)
	}
	handlertest.WantStatus(t, c.Get("/healthz"), http.StatusOK)

	// A schema newer than the program (a newer release migrated it): not ready either.
	env.Exec(t, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0), (?, 0)`, latest, latest+1)
	handlertest.WantStatus(t, c.Get("/readyz"), http.StatusServiceUnavailable)
	env.Exec(t, `DELETE FROM schema_migrations WHERE version = ?`, latest+1)
	handlertest.WantStatus(t, c.Get("/readyz"), http.StatusOK)
}

// With the worker running in the background, as in production, readiness
// holds without any help from the test.
func TestReadyWithBackgroundWorker(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithBackgroundWorker())
	c := env.NewClient(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.Get("/readyz")
		if r.StatusCode == http.StatusOK {
			break
		}
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz: %d", r.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10 s with the worker running")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
