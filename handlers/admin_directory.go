package handlers

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/admin"
)

// AdminDirectory is the operators' customer tenant directory: search, view
// and edit a tenant, and the all-or-nothing CSV import.
type AdminDirectory struct{ *Server }

// List searches tenants by name, domain or tenant ID.
func (h *AdminDirectory) List(c echo.Context) error {
	const pageSize = 50
	q, afterName, afterID := c.QueryParam("q"), c.QueryParam("after_name"), c.QueryParam("after_id")
	ts, err := h.store.SearchTenants(c.Request().Context(), models.TenantFilter{Search: q, AfterName: afterName, AfterID: afterID, Limit: pageSize})
	if err != nil {
		return err
	}
	l := admin.DirectoryList{Search: q, Tenants: ts}
	if afterName != "" || afterID != "" {
		l.First = admURL("/admin/directory", "q", q)
	}
	if len(ts) == pageSize {
		last := ts[len(ts)-1]
		l.Next = admURL("/admin/directory", "q", q, "after_name", last.Name, "after_id", last.ID)
	}
	return h.render(c, http.StatusOK, admin.Directory(l))
}

// New shows the "Add tenant" form.
func (h *AdminDirectory) New(c echo.Context) error {
	return h.render(c, http.StatusOK, admin.NewTenant(admin.NewTenantForm{}))
}

// Create adds a tenant.
func (h *AdminDirectory) Create(c echo.Context) error {
	f := admin.NewTenantForm{ID: admTrim(c, "tenant_id"), Name: admTrim(c, "tenant_name")}
	id, err := h.store.CreateTenant(c.Request().Context(), actor(c), f.ID, f.Name)
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.render(c, http.StatusUnprocessableEntity, admin.NewTenant(f))
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.dir.created", "Name", f.Name)
	return redirect(c, "/admin/directory/"+id)
}

// ImportForm shows the CSV import page.
func (h *AdminDirectory) ImportForm(c echo.Context) error {
	return h.render(c, http.StatusOK, admin.Import(admin.ImportPage{}))
}

// Import applies an uploaded directory CSV in one transaction, or nothing of
// it: a rejected file is answered with the report of its bad rows.
func (h *AdminDirectory) Import(c echo.Context) error {
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0) {
		return h.render(c, http.StatusUnprocessableEntity, admin.Import(admin.ImportPage{FileError: "admin.dir.err_no_file"}))
	}
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return err
		}
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	// The body limit of this route bounds the file, so reading it whole is safe.
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if !utf8.Valid(data) {
		return h.render(c, http.StatusUnprocessableEntity, admin.Import(admin.ImportPage{FileError: "admin.dir.err_encoding"}))
	}
	rep, err := h.store.ImportDirectory(c.Request().Context(), actor(c), bytes.NewReader(data))
	if errors.Is(err, models.ErrImportRejected) {
		return h.render(c, http.StatusUnprocessableEntity, admin.Import(admin.ImportPage{Report: rep, FileName: fh.Filename}))
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.dir.imported", "Count", rep.Applied)
	return redirect(c, "/admin/directory")
}

// Template downloads an example CSV with the header of SPEC §3.
func (h *AdminDirectory) Template(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="directory-template.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(models.DirectoryTemplateCSV()))
}

func (h *AdminDirectory) tenant(c echo.Context) (*models.Tenant, error) {
	id, ok := models.NormalizeGUID(c.Param("tenant"))
	if !ok {
		return nil, echo.ErrNotFound
	}
	return h.store.TenantByID(c.Request().Context(), id)
}

func admTenantPath(t *models.Tenant) string { return "/admin/directory/" + t.ID }

// tenantPage renders the tenant with its lists; p carries what the forms show.
func (h *AdminDirectory) tenantPage(c echo.Context, status int, t *models.Tenant, p admin.TenantPage) error {
	ctx := c.Request().Context()
	var err error
	p.Tenant = t
	if p.Domains, err = h.store.TenantDomains(ctx, t.ID); err != nil {
		return err
	}
	if p.Contacts, err = h.store.TenantContacts(ctx, t.ID); err != nil {
		return err
	}
	if p.Subscriptions, err = h.store.TenantSubscriptions(ctx, t.ID); err != nil {
		return err
	}
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return err
	}
	for _, pr := range ref.Products {
		if pr.SolutionArea == models.AreaBizApps {
			p.Products = append(p.Products, pr)
		}
	}
	if p.Name == "" && p.Errors["tenant_name"] == "" {
		p.Name = t.Name
	}
	return h.render(c, status, admin.Tenant(p))
}

// Show is one tenant. ?contact=ID and ?sub=ID prefill the contact and
// subscription forms with that row, to change it.
func (h *AdminDirectory) Show(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	p := admin.TenantPage{Contact: models.ContactInput{Language: "en"}, Subscription: models.SubscriptionInput{State: models.SubActive}}
	if cid, err := strconv.ParseInt(c.QueryParam("contact"), 10, 64); err == nil {
		cs, err := h.store.TenantContacts(c.Request().Context(), t.ID)
		if err != nil {
			return err
		}
		for _, x := range cs {
			if x.ID == cid {
				p.Contact = models.ContactInput{Name: x.Name, Email: x.Email, Language: x.Language}
			}
		}
	}
	if sid := c.QueryParam("sub"); sid != "" {
		ss, err := h.store.TenantSubscriptions(c.Request().Context(), t.ID)
		if err != nil {
			return err
		}
		for _, x := range ss {
			if x.ID == sid {
				p.Subscription = models.SubscriptionInput{ID: x.ID, ProductID: x.ProductID, Channel: x.Channel, State: x.State}
			}
		}
	}
	return h.tenantPage(c, http.StatusOK, t, p)
}

func (h *AdminDirectory) fail(c echo.Context, t *models.Tenant, err error, p admin.TenantPage) error {
	if fe, ok := admFieldErrors(err); ok {
		p.Errors = fe
		if p.Contact.Language == "" && p.Contact.Email == "" {
			p.Contact.Language = "en"
		}
		return h.tenantPage(c, http.StatusUnprocessableEntity, t, p)
	}
	return err
}

// Rename changes the tenant's organisation name.
func (h *AdminDirectory) Rename(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	name := admTrim(c, "tenant_name")
	if err := h.store.RenameTenant(c.Request().Context(), actor(c), t.ID, name); err != nil {
		return h.fail(c, t, err, admin.TenantPage{Name: name})
	}
	h.flash(c, "success", "admin.saved")
	return redirect(c, admTenantPath(t))
}

// AddDomain adds a verified domain.
func (h *AdminDirectory) AddDomain(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	d := admTrim(c, "domain")
	if err := h.store.AddTenantDomain(c.Request().Context(), actor(c), t.ID, d); err != nil {
		return h.fail(c, t, err, admin.TenantPage{Domain: d})
	}
	if nd, ok := models.NormalizeDomain(d); ok {
		d = nd
	}
	h.admFlash(c, "success", "admin.dir.domain_added", "Domain", d)
	return redirect(c, admTenantPath(t))
}

// RemoveDomainForm asks before removing a verified domain.
func (h *AdminDirectory) RemoveDomainForm(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	d := c.QueryParam("domain")
	ds, err := h.store.TenantDomains(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	found := false
	for _, x := range ds {
		found = found || x == d
	}
	if !found {
		return echo.ErrNotFound
	}
	return h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
		Title:  "admin.dir.remove_domain_title",
		Text:   []string{views.TheCatalog().Text(lang(c), "admin.dir.remove_domain_text", map[string]any{"Domain": d, "Tenant": t.Name})},
		Action: admTenantPath(t) + "/domains/remove", Hidden: [][2]string{{"domain", d}},
		Button: "admin.remove", Danger: true, Cancel: admTenantPath(t),
	}))
}

// RemoveDomain removes a verified domain.
func (h *AdminDirectory) RemoveDomain(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	d := c.FormValue("domain")
	if err := h.store.RemoveTenantDomain(c.Request().Context(), actor(c), t.ID, d); err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.dir.domain_removed", "Domain", d)
	return redirect(c, admTenantPath(t))
}

// SaveContact adds a notification contact or changes the one with that email.
func (h *AdminDirectory) SaveContact(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	in := models.ContactInput{Name: admTrim(c, "contact_name"), Email: admTrim(c, "contact_email"), Language: c.FormValue("contact_language")}
	if err := h.store.SaveTenantContact(c.Request().Context(), actor(c), t.ID, in); err != nil {
		return h.fail(c, t, err, admin.TenantPage{Contact: in})
	}
	h.admFlash(c, "success", "admin.dir.contact_saved", "Email", in.Email)
	return redirect(c, admTenantPath(t))
}

func (h *AdminDirectory) contact(c echo.Context, t *models.Tenant) (*models.Contact, error) {
	id, err := admParamID(c, "contact")
	if err != nil {
		return nil, err
	}
	cs, err := h.store.TenantContacts(c.Request().Context(), t.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range cs {
		if x.ID == id {
			return &x, nil
		}
	}
	return nil, echo.ErrNotFound
}

// RemoveContactForm asks before removing a notification contact.
func (h *AdminDirectory) RemoveContactForm(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	ct, err := h.contact(c, t)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
		Title:  "admin.dir.remove_contact_title",
		Text:   []string{views.TheCatalog().Text(lang(c), "admin.dir.remove_contact_text", map[string]any{"Email": ct.Email, "Tenant": t.Name})},
		Action: admTenantPath(t) + "/contacts/" + strconv.FormatInt(ct.ID, 10) + "/remove",
		Button: "admin.remove", Danger: true, Cancel: admTenantPath(t),
	}))
}

// RemoveContact removes a notification contact.
func (h *AdminDirectory) RemoveContact(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	ct, err := h.contact(c, t)
	if err != nil {
		return err
	}
	if err := h.store.RemoveTenantContact(c.Request().Context(), actor(c), t.ID, ct.ID); err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.dir.contact_removed", "Email", ct.Email)
	return redirect(c, admTenantPath(t))
}

// SaveSubscription adds a subscription or changes its product, channel or state.
func (h *AdminDirectory) SaveSubscription(c echo.Context) error {
	t, err := h.tenant(c)
	if err != nil {
		return err
	}
	in := models.SubscriptionInput{ID: admTrim(c, "sub_id"), Channel: c.FormValue("sub_channel"), State: c.FormValue("sub_state")}
	if v := c.FormValue("sub_product"); v != "" {
		if in.ProductID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
	}
	if err := h.store.SaveTenantSubscription(c.Request().Context(), actor(c), t.ID, in); err != nil {
		return h.fail(c, t, err, admin.TenantPage{Subscription: in, Contact: models.ContactInput{Language: "en"}})
	}
	h.admFlash(c, "success", "admin.dir.subscription_saved", "ID", in.ID)
	return redirect(c, admTenantPath(t))
}
