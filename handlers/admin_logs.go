package handlers

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/admin"
)

// AdminMail is the operators' read-only mail log with the resend of failed messages.
type AdminMail struct{ *Server }

// List shows the outbox, newest first, filtered by state and recipient.
func (h *AdminMail) List(c echo.Context) error {
	const pageSize = 50
	state, to := c.QueryParam("state"), strings.TrimSpace(c.QueryParam("to"))
	switch state {
	case "", models.MailQueued, models.MailSent, models.MailRetrying, models.MailFailed:
	default:
		state = ""
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	msgs, err := h.store.MailLog(c.Request().Context(), models.MailFilter{State: state, Search: to, Before: before, Limit: pageSize})
	if err != nil {
		return err
	}
	p := admin.MailLogPage{State: state, Recipient: to, Messages: msgs}
	if before > 0 {
		p.First = admURL("/admin/mail", "state", state, "to", to)
	}
	if len(msgs) == pageSize {
		p.Next = admURL("/admin/mail", "state", state, "to", to, "before", strconv.FormatInt(msgs[len(msgs)-1].ID, 10))
	}
	return h.render(c, http.StatusOK, admin.MailLog(p))
}

// Show is one stored message: its facts, subject and text, links hidden.
func (h *AdminMail) Show(c echo.Context) error {
	id, err := admParamID(c, "id")
	if err != nil {
		return err
	}
	m, err := h.store.MailMessage(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.MailMessage(admin.MailMessagePage{Message: m}))
}

// Resend puts a failed message back in the queue.
func (h *AdminMail) Resend(c echo.Context) error {
	id, err := admParamID(c, "id")
	if err != nil {
		return err
	}
	back := safeNext(c.FormValue("back"))
	if back == "" {
		back = "/admin/mail/" + c.Param("id")
	}
	if _, err := h.store.MailMessage(c.Request().Context(), id); err != nil {
		return err
	}
	err = h.store.ResendMail(c.Request().Context(), actor(c), id)
	switch {
	case errors.Is(err, models.ErrConflict):
		// A double click, or the message was not failed: nothing to do.
		h.flash(c, "info", "admin.mail.not_failed")
	case err != nil:
		return err
	default:
		h.flash(c, "success", "admin.mail.requeued")
	}
	return redirect(c, back)
}

// AdminAudit is the audit log: filter by actor, kind and date; CSV export.
type AdminAudit struct{ *Server }

// auditFilter reads the filter from the query; dates are days in the
// platform zone, "to" inclusive.
func (h *AdminAudit) auditFilter(c echo.Context) (admin.AuditPage, models.AuditFilter) {
	p := admin.AuditPage{Actor: strings.TrimSpace(c.QueryParam("actor")), Kind: strings.TrimSpace(c.QueryParam("kind")),
		From: strings.TrimSpace(c.QueryParam("from")), To: strings.TrimSpace(c.QueryParam("to")), Errors: models.FieldErrors{}}
	f := models.AuditFilter{Actor: p.Actor, Kind: p.Kind}
	loc := h.store.Location()
	if p.From != "" {
		if t, err := time.ParseInLocation("2006-01-02", p.From, loc); err == nil {
			f.From = t
		} else {
			p.Errors.Add("from", "admin.err.date")
		}
	}
	if p.To != "" {
		if t, err := time.ParseInLocation("2006-01-02", p.To, loc); err == nil {
			f.Until = t.AddDate(0, 0, 1)
		} else {
			p.Errors.Add("to", "admin.err.date")
		}
	}
	if !f.From.IsZero() && !f.Until.IsZero() && !f.From.Before(f.Until) {
		p.Errors.Add("to", "admin.err.date_order")
	}
	return p, f
}

// List shows the matching rows, newest first, a page at a time.
func (h *AdminAudit) List(c echo.Context) error {
	const pageSize = 100
	p, f := h.auditFilter(c)
	ctx := c.Request().Context()
	kinds, err := h.store.AuditKinds(ctx)
	if err != nil {
		return err
	}
	p.Kinds = kinds
	query := []string{"actor", p.Actor, "kind", p.Kind, "from", p.From, "to", p.To}
	p.ExportURL = admURL("/admin/audit/export.csv", query...)
	if len(p.Errors) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, admin.Audit(p))
	}
	f.Before, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	f.BeforeAt, _ = strconv.ParseInt(c.QueryParam("before_at"), 10, 64)
	f.Limit = pageSize
	if p.Entries, err = h.store.AuditLog(ctx, f); err != nil {
		return err
	}
	if f.Before > 0 {
		p.First = admURL("/admin/audit", query...)
	}
	if len(p.Entries) == pageSize {
		last := p.Entries[len(p.Entries)-1]
		p.Next = admURL("/admin/audit", append(query, "before", strconv.FormatInt(last.ID, 10), "before_at", strconv.FormatInt(models.Ms(last.At.Time), 10))...)
	}
	return h.render(c, http.StatusOK, admin.Audit(p))
}

// Export streams the matching rows as CSV: UTF-8 with a byte-order mark (so
// spreadsheets read the accents), a header in the person's language, and
// cells that a spreadsheet would run as a formula defused with a quote.
func (h *AdminAudit) Export(c echo.Context) error {
	p, f := h.auditFilter(c)
	if len(p.Errors) > 0 {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	cat, l := views.TheCatalog(), lang(c)
	loc := h.store.Location()
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="audit-log-`+h.store.Now().In(loc).Format("20060102-1504")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	if _, err := res.Write([]byte("\ufeff")); err != nil {
		return nil
	}
	w := csv.NewWriter(res)
	header := []string{}
	for _, id := range []string{"admin.audit.when", "admin.audit.actor", "admin.audit.address", "admin.audit.kind", "admin.audit.object", "admin.audit.detail"} {
		header = append(header, cat.Text(l, id, nil))
	}
	_ = w.Write(header)
	n := 0
	err := h.store.EachAudit(c.Request().Context(), f, func(e *models.AuditEntry) error {
		rec := []string{e.At.In(loc).Format(time.RFC3339), e.Actor, e.IP, e.Kind, e.Object, e.Detail}
		for i := range rec {
			rec[i] = admCSVSafe(rec[i])
		}
		if err := w.Write(rec); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			res.Flush()
		}
		return nil
	})
	w.Flush()
	if err != nil {
		// The status is sent; all we can do is log and cut the file short.
		h.log.Error("audit export", "err", err)
	}
	return nil
}

// admCSVSafe defuses a cell a spreadsheet would read as a formula.
func admCSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
