package handlers

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/claims"
	"cpor/views/review"
)

// listFilter reads the claim list's filters from the query string; unknown
// values are ignored rather than refused (a bookmarked URL keeps working).
func listFilter(c echo.Context) models.ListFilter {
	f := models.ListFilter{
		Status:     models.Status(c.QueryParam("status")),
		ProgramID:  parseID(c.QueryParam("program")),
		LocationID: parseID(c.QueryParam("location")),
		Competing:  c.QueryParam("competing") == "1",
		Search:     strings.TrimSpace(c.QueryParam("q")),
		Sort:       c.QueryParam("sort"),
		View:       c.QueryParam("view"),
		After:      c.QueryParam("after"),
	}
	if !f.Status.Valid() {
		f.Status = ""
	}
	switch f.Sort {
	case "created", "deadline":
	default:
		f.Sort = ""
	}
	switch f.View {
	case "requested", "waiting", "due_week":
	default:
		f.View = ""
	}
	if len([]rune(f.Search)) > 200 {
		f.Search = string([]rune(f.Search)[:200])
	}
	return f
}

// claimList is the partner's claim list (and the operator's read-only one).
func (s *Server) claimList(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	f := listFilter(c)
	page, err := s.store.ListClaims(ctx, models.ViewerOf(p), f)
	if err != nil {
		return err
	}
	ref, err := s.store.RefData(ctx)
	if err != nil {
		return err
	}
	lp := claims.ListPage{Filter: f, Rows: page.Rows, Next: page.Next, Ref: ref, Base: "/claims", Partner: p.Role.IsPartner(),
		Locations: map[int64]string{}}
	if p.Role == models.RoleOperator {
		lp.Base = "/admin/claims"
		mpns, err := s.store.LocationMPNs(ctx, locationIDs(page.Rows))
		if err != nil {
			return err
		}
		lp.Locations = mpns
	} else {
		locs, err := s.store.OrgLocations(ctx, p.OrganisationID)
		if err != nil {
			return err
		}
		for _, l := range locs {
			lp.Locations[l.ID] = l.MPNID
			if p.InScope(l.ID) {
				lp.LocOpts = append(lp.LocOpts, l)
			}
		}
	}
	return s.render(c, http.StatusOK, claims.List(lp))
}

func locationIDs(rows []models.ListRow) []int64 {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.LocationID)
	}
	return ids
}

// csvSafe neutralises a cell a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportCSV streams the filtered list as CSV: UTF-8 with a BOM (so
// spreadsheets read the accents), formula cells neutralised, the header in
// the person's language, and rows written as they are read.
func (s *Server) exportCSV(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	f := listFilter(c)
	ref, err := s.store.RefData(ctx)
	if err != nil {
		return err
	}
	cat, lng := views.TheCatalog(), lang(c)
	tr := func(id string) string { return cat.Text(lng, id, nil) }
	leavePageQueue(c)
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="claims.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(c.Response(), 64<<10)
	bw.WriteString("\ufeff")
	w := csv.NewWriter(bw)
	header := []string{"claim.number", "field.claim_name", "claim.status", "field.program", "field.location",
		"field.domain", "field.tenant", "claim.customer", "field.customer_name", "field.customer_email",
		"claim.created", "list.updated", "list.deadline", "claim.competing_badge"}
	for i := range header {
		header[i] = tr(header[i])
	}
	_ = w.Write(header)
	pctx := s.pageContext(c)
	rec := make([]string, len(header))
	err = s.store.ExportClaims(ctx, models.ViewerOf(p), f, func(r *models.ExportRow) error {
		prog, _ := ref.Program(r.ProgramID)
		competing := ""
		if r.Competing {
			competing = tr("list.yes")
		}
		rec = append(rec[:0], r.Number(), r.Name, views.StatusText(pctx, r.Status, r.Reason), prog.Name, r.MPNID,
			r.Domain, r.TenantID, r.TenantName, r.CustomerContactName, r.CustomerContactEmail,
			views.DateTime(pctx, r.CreatedAt), views.DateTime(pctx, r.UpdatedAt), views.Deadline(pctx, r.NextDeadline), competing)
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		return w.Write(rec)
	})
	w.Flush()
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// The status line is sent: log and cut the response short.
		s.log.Error("csv export", "err", err)
	}
	return nil
}

// dashboard is the partner's home page.
func (s *Server) dashboard(c echo.Context) error {
	p := principal(c)
	d, err := s.store.PartnerDashboard(c.Request().Context(), models.ViewerOf(p))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, claims.Dashboard(claims.DashboardPage{D: d, Role: p.Role}))
}

// reviewQueue is the reviewer's home page.
func (s *Server) reviewQueue(c echo.Context) error {
	ctx := c.Request().Context()
	f := models.QueueFilter{
		Status:     models.Status(c.QueryParam("status")),
		ProgramID:  parseID(c.QueryParam("program")),
		Competing:  c.QueryParam("competing") == "1",
		Overdue:    c.QueryParam("overdue") == "1",
		MailFailed: c.QueryParam("mail_failed") == "1",
		Search:     strings.TrimSpace(c.QueryParam("q")),
		After:      c.QueryParam("after"),
	}
	if !slices.Contains(models.QueueStatuses, f.Status) {
		f.Status = ""
	}
	rows, next, err := s.store.ReviewQueue(ctx, f)
	if err != nil {
		return err
	}
	counts, err := s.store.ReviewQueueCounts(ctx)
	if err != nil {
		return err
	}
	ref, err := s.store.RefData(ctx)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, review.Queue(review.QueuePage{Filter: f, Rows: rows, Next: next, Counts: counts, Ref: ref, Now: s.store.Now()}))
}
