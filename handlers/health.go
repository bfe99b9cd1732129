package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"cpor/models"
)

// Health answers the liveness and readiness probes.
type Health struct {
	store  *models.Store
	worker *models.Worker
}

// Live answers 200 while the process serves.
func (h *Health) Live(c echo.Context) error { return c.String(http.StatusOK, "ok") }

// Ready answers 200 when the database answers, the schema is current and the
// worker finished a pass recently; otherwise 503 with the reason.
func (h *Health) Ready(c echo.Context) error {
	if err := h.store.DB().CheckSchema(); err != nil {
		return c.String(http.StatusServiceUnavailable, "database: "+err.Error())
	}
	if h.worker != nil && time.Since(h.worker.Heartbeat()) > 30*time.Second {
		return c.String(http.StatusServiceUnavailable, "worker: no pass in the last 30 s")
	}
	return c.String(http.StatusOK, "ready")
}
