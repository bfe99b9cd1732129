package handlers

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/claims"
)

// Claims is the partner side of claims: the form, the claim page and every
// partner action. Rules live in models; this parses, calls and renders.
type Claims struct{ *Server }

// partnerActions are the lifecycle actions posted on /claims/:id/actions/:action.
var partnerActions = map[string]string{
	string(models.ActRequestSubmission): "claim.done.request_submission",
	string(models.ActSubmit):            "claim.done.submit",
	string(models.ActResubmit):          "claim.done.resubmit",
	string(models.ActWithdraw):          "claim.done.withdraw",
	string(models.ActEnd):               "claim.done.end",
	string(models.ActDelete):            "claim.done.delete",
}

func parseID(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// parseClaimForm reads the claim form as typed.
func parseClaimForm(c echo.Context) (models.ClaimInput, int) {
	in := models.ClaimInput{
		LocationID: parseID(c.FormValue("location")), Domain: c.FormValue("domain"), TenantID: c.FormValue("tenant"),
		ProgramID: parseID(c.FormValue("program")), ActivityID: parseID(c.FormValue("activity")), Name: c.FormValue("name"),
		CustomerContactName: c.FormValue("customer_name"), CustomerContactTitle: c.FormValue("customer_title"),
		CustomerContactEmail: c.FormValue("customer_email"), PartnerContactName: c.FormValue("partner_name"),
		PartnerContactEmail: c.FormValue("partner_email"),
	}
	form, _ := c.FormParams()
	for _, w := range form["workloads"] {
		if id := parseID(w); id > 0 {
			in.WorkloadIDs = append(in.WorkloadIDs, id)
		}
	}
	rows := int(parseID(c.FormValue("rows")))
	if rows > 50 {
		rows = 50
	}
	for i := 0; i < rows; i++ {
		n := strconv.Itoa(i)
		in.Lines = append(in.Lines, models.LineInput{ProductID: parseID(c.FormValue("product_" + n)), SubscriptionID: c.FormValue("subscription_" + n)})
	}
	return in, rows
}

// formPage prepares the claim form for a program.
func (h *Claims) formPage(c echo.Context, prog models.Program, in models.ClaimInput) (claims.FormPage, error) {
	ctx := c.Request().Context()
	p := principal(c)
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return claims.FormPage{}, err
	}
	locs, err := h.store.OrgLocations(ctx, p.OrganisationID)
	if err != nil {
		return claims.FormPage{}, err
	}
	return claims.FormPage{Program: prog, Ref: ref, Locations: models.ClaimLocations(locs, p, prog.ID), In: in, Role: p.Role,
		Editable: models.Editable{Any: true, Name: true, Location: true, Lines: true, Contacts: true}}, nil
}

// New shows the first step (choose the program) or, with ?program=, the form.
func (h *Claims) New(c echo.Context) error {
	ctx := c.Request().Context()
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return err
	}
	var active []models.Program
	for _, p := range ref.Programs {
		if !p.Retired {
			active = append(active, p)
		}
	}
	raw := c.QueryParam("program")
	prog, ok := ref.Program(parseID(raw))
	if !ok || prog.Retired {
		msg := ""
		if raw != "" {
			msg = "claim.err_program"
		}
		return h.render(c, http.StatusOK, claims.ProgramStep(active, msg))
	}
	p := principal(c)
	f, err := h.formPage(c, prog, models.ClaimInput{ProgramID: prog.ID, PartnerContactName: p.Name, PartnerContactEmail: p.Email})
	if err != nil {
		return err
	}
	if len(f.Locations) == 1 { // a fresh form: the only possible location is chosen
		f.In.LocationID = f.Locations[0].ID
	}
	return h.render(c, http.StatusOK, claims.Form(f))
}

// Create saves a new draft (save-time checks only) or re-renders the form.
func (h *Claims) Create(c echo.Context) error {
	ctx := c.Request().Context()
	in, rows := parseClaimForm(c)
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return err
	}
	prog, ok := ref.Program(in.ProgramID)
	if !ok {
		return redirect(c, "/claims/new")
	}
	f, err := h.formPage(c, prog, in)
	if err != nil {
		return err
	}
	f.Rows = rows
	// The form re-rendered after this POST belongs to "New claim" (and the
	// language switch must come back to a page, not to the POST).
	c.Set(ctxPagePath, "/claims/new?program="+strconv.FormatInt(prog.ID, 10))
	if c.FormValue("op") == "add_line" {
		f.Rows = rows + 1
		return h.render(c, http.StatusOK, claims.Form(f))
	}
	id, err := h.store.CreateDraft(ctx, models.WhoOf(principal(c), c.RealIP()), in)
	if err != nil {
		return h.formError(c, f, err, false)
	}
	h.flash(c, "success", "claim.done.created")
	return redirect(c, claimBase(models.RoleAdmin, id))
}

// formError re-renders the form with field messages (422), keeping what was typed.
func (h *Claims) formError(c echo.Context, f claims.FormPage, err error, submitting bool) error {
	var ref *models.Refusal
	if ce, ok := models.IsCheckError(err); ok {
		f.Errors, f.ErrorData, f.Submitting = ce.Fields, ce.Data, submitting
		return h.render(c, http.StatusUnprocessableEntity, claims.Form(f))
	}
	if errors.As(err, &ref) {
		f.Errors = models.FieldErrors{"": ref.MsgID}
		if ref.Fields != nil {
			f.Errors = ref.Fields
		}
		return h.render(c, http.StatusUnprocessableEntity, claims.Form(f))
	}
	if errors.Is(err, models.ErrConflict) && f.Claim != nil {
		return conflictAt(claimBase(models.RoleAdmin, f.Claim.ID))
	}
	return err
}

// Show renders the claim page.
func (h *Claims) Show(c echo.Context) error { return h.renderShow(c, http.StatusOK, nil) }

// editPage loads a claim for the edit form, refusing what may not be edited.
func (h *Claims) editPage(c echo.Context) (claims.FormPage, *models.Claim, error) {
	id, err := claimID(c)
	if err != nil {
		return claims.FormPage{}, nil, err
	}
	ctx := c.Request().Context()
	p := principal(c)
	v := models.ViewerOf(p)
	cl, lines, err := h.store.ClaimFor(ctx, v, id)
	if err != nil {
		return claims.FormPage{}, nil, err
	}
	ed := cl.EditableBy(v)
	if !ed.Any {
		if cl.EditableBy(models.Viewer{Role: models.RoleAdmin, OrgID: cl.OrganisationID}).Any {
			// Editable now, but not by this person (an incentives user after submission).
			return claims.FormPage{}, nil, echo.ErrForbidden
		}
		return claims.FormPage{}, nil, conflictAt(claimBase(p.Role, id))
	}
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return claims.FormPage{}, nil, err
	}
	prog, _ := ref.Program(cl.ProgramID)
	f, err := h.formPage(c, prog, models.InputOf(cl, lines))
	if err != nil {
		return f, nil, err
	}
	files, err := h.store.ClaimFiles(ctx, id)
	if err != nil {
		return f, nil, err
	}
	f.Claim, f.Editable, f.Files = cl, ed, len(files)
	return f, cl, nil
}

// Edit shows the edit form.
func (h *Claims) Edit(c echo.Context) error {
	f, _, err := h.editPage(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, claims.Form(f))
}

// Update saves edits and, with op=submit or op=request, then submits or asks
// the admin to submit — showing every missing piece next to its field.
func (h *Claims) Update(c echo.Context) error {
	f, cl, err := h.editPage(c)
	if err != nil {
		return err
	}
	in, rows := parseClaimForm(c)
	f.In, f.Rows = in, rows
	op := c.FormValue("op")
	if op == "add_line" {
		f.Rows = rows + 1
		return h.render(c, http.StatusOK, claims.Form(f))
	}
	ctx := c.Request().Context()
	who := models.WhoOf(principal(c), c.RealIP())
	version := formVersion(c)
	base := claimBase(who.Role, cl.ID)
	var act models.Action
	switch op {
	case "submit":
		act = models.ActSubmit
	case "request":
		act = models.ActRequestSubmission
	}
	if err := h.store.UpdateClaim(ctx, who, cl.ID, version, in); err != nil {
		if errors.Is(err, models.ErrConflict) && act != "" {
			// A double click on Submit claim: the first click saved and
			// submitted. The engine tells "Already done" from a real change.
			res, err := h.store.Apply(ctx, nil, who, models.Request{ClaimID: cl.ID, Action: act, Version: version})
			return h.actionOutcome(c, base, res, err, partnerActions[string(act)])
		}
		return h.formError(c, f, err, false)
	}
	if act == "" {
		h.flash(c, "success", "claim.done.saved")
		return redirect(c, base)
	}
	res, err := h.store.Apply(ctx, nil, who, models.Request{ClaimID: cl.ID, Action: act})
	return h.submitOutcome(c, base, res, err, act)
}

// submitOutcome answers Submit claim or Request submission: a refused check
// shows the edit form with what is missing next to each field; anything
// else is the engine's usual answer.
func (h *Claims) submitOutcome(c echo.Context, base string, res models.Result, err error, act models.Action) error {
	if _, ok := models.IsCheckError(err); ok {
		f, _, lerr := h.editPage(c)
		if lerr != nil {
			return lerr
		}
		return h.formError(c, f, err, true)
	}
	return h.actionOutcome(c, base, res, err, partnerActions[string(act)])
}

// Confirm asks before withdrawing, ending or deleting.
func (h *Claims) Confirm(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	act := models.Action(c.Param("action"))
	if act != models.ActWithdraw && act != models.ActEnd && act != models.ActDelete {
		return echo.ErrNotFound
	}
	p := principal(c)
	cl, _, err := h.store.ClaimFor(c.Request().Context(), models.ViewerOf(p), id)
	if err != nil {
		return err
	}
	// Ask only about what the person may do now: a role that may never take
	// the action is refused; otherwise the page they came from is stale.
	if !slices.Contains(models.AllowedActions(cl, models.WhoOf(p, ""), h.store.Now()), act) {
		if !models.RoleMayTake(p.Role, act) || (act == models.ActDelete && p.Role == models.RoleUser && cl.CreatorID != p.ID) {
			return echo.ErrForbidden
		}
		return conflictAt(claimBase(p.Role, id))
	}
	return h.render(c, http.StatusOK, claims.Confirm(cl, claimBase(p.Role, id), act))
}

// Act applies a partner action posted from the claim page.
func (h *Claims) Act(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	done, ok := partnerActions[c.Param("action")]
	if !ok {
		return echo.ErrNotFound
	}
	act := models.Action(c.Param("action"))
	who := models.WhoOf(principal(c), c.RealIP())
	res, err := h.store.Apply(c.Request().Context(), nil, who, models.Request{ClaimID: id, Action: act, Version: formVersion(c)})
	if act == models.ActSubmit || act == models.ActRequestSubmission {
		return h.submitOutcome(c, claimBase(who.Role, id), res, err, act)
	}
	return h.actionOutcome(c, claimBase(who.Role, id), res, err, done)
}

// Comment adds a comment (partners and reviewers).
func (s *Server) comment(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	p := principal(c)
	body := c.FormValue("comment")
	err = s.store.AddComment(c.Request().Context(), models.WhoOf(p, c.RealIP()), id, body)
	if ce, ok := models.IsCheckError(err); ok {
		return s.renderShow(c, http.StatusUnprocessableEntity, func(pg *claims.ShowPage) {
			pg.Comment, pg.CommentError = body, ce.Fields["comment"]
		})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "claim.done.comment")
	return redirect(c, claimBase(p.Role, id)+"#history")
}

// readUploads reads the "files" parts, each up to one byte over the limit so
// an oversized file is recognised without reading it all.
func readUploads(c echo.Context) ([]models.Upload, error) {
	form, err := c.MultipartForm()
	if err != nil {
		if errors.Is(err, http.ErrNotMultipart) || errors.Is(err, multipart.ErrMessageTooLarge) {
			return nil, echo.NewHTTPError(http.StatusBadRequest)
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest)
	}
	var ups []models.Upload
	for _, fh := range form.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, echo.NewHTTPError(http.StatusBadRequest)
		}
		b, err := io.ReadAll(io.LimitReader(f, models.MaxFileBytes+1))
		f.Close()
		if err != nil {
			return nil, echo.NewHTTPError(http.StatusBadRequest)
		}
		ups = append(ups, models.Upload{Name: fh.Filename, Data: b})
	}
	return ups, nil
}

// Upload stores proof-of-execution files; a refused batch stores nothing.
func (h *Claims) Upload(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	ups, err := readUploads(c)
	if err != nil {
		return err
	}
	who := models.WhoOf(principal(c), c.RealIP())
	_, err = h.store.AddFiles(c.Request().Context(), who, id, ups)
	if ce, ok := models.IsCheckError(err); ok {
		return h.renderShow(c, http.StatusUnprocessableEntity, func(p *claims.ShowPage) { p.FilesError = ce.Fields["files"] })
	}
	if err != nil {
		return err
	}
	h.flash(c, "success", "claim.done.files")
	return redirect(c, claimBase(who.Role, id)+"#files")
}

// Dispute disputes a rejection with a justification and/or new files.
func (h *Claims) Dispute(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	ups, err := readUploads(c)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.FormValue("justification"))
	who := models.WhoOf(principal(c), c.RealIP())
	res, err := h.store.DisputeWithFiles(c.Request().Context(), who,
		models.Request{ClaimID: id, Action: models.ActDispute, Version: formVersion(c), Note: note}, ups)
	var ref *models.Refusal
	if ce, ok := models.IsCheckError(err); ok {
		return h.renderShow(c, http.StatusUnprocessableEntity, func(p *claims.ShowPage) {
			p.DisputeNote, p.DisputeError = note, ce.Fields["files"]
		})
	}
	if errors.As(err, &ref) && ref.Fields != nil {
		return h.renderShow(c, http.StatusUnprocessableEntity, func(p *claims.ShowPage) {
			p.DisputeNote, p.DisputeError = note, ref.Fields["justification"]
		})
	}
	return h.actionOutcome(c, claimBase(who.Role, id), res, err, "claim.done.dispute")
}

// file sends a proof-of-execution file as an attachment, to anyone who may
// see the claim; nosniff (set globally) stops browsers guessing its type.
func (s *Server) file(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	fid := parseID(c.Param("file"))
	f, data, err := s.store.FileContent(c.Request().Context(), models.ViewerOf(principal(c)), id, fid)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", url.PathEscape(f.Name)))
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, f.ContentType, data)
}
