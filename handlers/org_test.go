package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cpor/handlers/handlertest"
	"cpor/models"
)

// The partner organisation pages' rows of the access matrix (IDs: see
// admMatrixSetup in admin_test.go).
func init() {
	const u = "/org/users/"
	addAccessRows(
		partnerRow(http.MethodGet, "/org/locations", ok),
		partnerAdminRow(http.MethodGet, "/org/users", ok),
		partnerAdminRow(http.MethodGet, "/org/users/new", ok),
		partnerAdminRow(http.MethodPost, "/org/users", invalid).withForm(url.Values{"email": {""}, "role": {"incentives_user"}}),
		partnerAdminRow(http.MethodGet, u+contosoUser, ok).withRoute(u+":id"),
		// Another organisation's person is simply not found.
		partnerAdminRow(http.MethodGet, u+fabrikamAdmin, notFound).withRoute(u+":id"),
		partnerAdminRow(http.MethodGet, u+reviewerID, notFound).withRoute(u+":id"),
		partnerAdminRow(http.MethodPost, u+contosoUser+"/role", invalid).withRoute(u+":id/role").withForm(url.Values{"role": {"operator"}}),
		partnerAdminRow(http.MethodPost, u+fabrikamAdmin+"/role", notFound).withRoute(u+":id/role").withForm(url.Values{"role": {"incentives_user"}}),
		partnerAdminRow(http.MethodPost, u+contosoUser+"/locations", invalid).withRoute(u+":id/locations"),
		partnerAdminRow(http.MethodPost, u+contosoUser+"/link", redirectTo(u+contosoUser)).withRoute(u+":id/link"),
		partnerAdminRow(http.MethodGet, u+contosoUser+"/disable", ok).withRoute(u+":id/disable"),
		// The only admin of Contoso: refused (last admin), nothing changes.
		partnerAdminRow(http.MethodPost, u+contosoAdmin+"/disable", redirectTo(u+contosoAdmin)).withRoute(u+":id/disable"),
		partnerAdminRow(http.MethodPost, u+fabrikamAdmin+"/disable", notFound).withRoute(u+":id/disable"),
		partnerAdminRow(http.MethodPost, u+contosoUser+"/enable", redirectTo(u+contosoUser)).withRoute(u+":id/enable"),
	)
}

func admPartnerAdmin(t *testing.T, env *handlertest.Env) *handlertest.Client {
	t.Helper()
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	return c
}

func admLocationID(t *testing.T, env *handlertest.Env, mpn string) string {
	t.Helper()
	return fmt.Sprint(env.QueryInt(t, `SELECT id FROM locations WHERE mpn_id = ?`, mpn))
}

func TestPartnerAdminInvitesAColleague(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	list := admin.Get("/org/users")
	handlertest.WantStatus(t, list, http.StatusOK)
	if n := list.Doc().Find(`[data-testid="users"] tbody tr`).Length(); n != 2 {
		t.Errorf("Contoso has %d people listed, want 2", n)
	}

	form := admin.Get("/org/users/new")
	handlertest.WantStatus(t, form, http.StatusOK)
	r := admin.Submit(form, "main form", url.Values{"email": {"nora@"}, "name": {"Nóra Új"}, "role": {"incentives_user"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "email"); got != "Enter an email address." {
		t.Errorf("email message %q", got)
	}
	if got := admFieldError(r, "locations"); !strings.HasPrefix(got, "Choose at least one location") {
		t.Errorf("locations message %q", got)
	}
	if admValue(r, "email") != "nora@" || admValue(r, "name") != "Nóra Új" {
		t.Error("what was typed is not kept")
	}
	if _, checked := r.Doc().Find(`input[name="role"][value="incentives_user"]`).Attr("checked"); !checked {
		t.Error("the chosen role is not kept")
	}

	loc := admLocationID(t, env, "1000002")
	r = admin.Submit(r, "main form", url.Values{"email": {"nora@contoso-partner.test"}, "locations": {loc}, "language": {"hu"}})
	handlertest.WantStatus(t, r, http.StatusSeeOther)
	page := admin.Get(r.Location())
	if got := admFlashText(page); got != "An invitation is on its way to nora@contoso-partner.test." {
		t.Errorf("flash %q", got)
	}

	msg := env.WaitForMail(t, handlertest.To("nora@contoso-partner.test"))
	if msg.Subject != "Meghívás a CPOR Claimsbe" || !strings.Contains(msg.Text, "Contoso Partners") {
		t.Errorf("invitation %q:\n%s", msg.Subject, msg.Text)
	}
	link := handlertest.LinkIn(msg, "/account/password/")
	admSetPassword(t, env, link, "nora@contoso-partner.test")

	// The person has the scope chosen at the invitation.
	nora := env.NewClient(t)
	nora.Login("nora@contoso-partner.test", "a-brand-new-password")
	locs := nora.Get("/org/locations")
	row := locs.Doc().Find(`[data-testid="locations"] tr:contains("1000002")`)
	if !strings.Contains(row.Text(), "Az Öné") {
		t.Errorf("the invited user's scope row %q", row.Text())
	}
	handlertest.WantStatus(t, nora.Get("/org/users"), http.StatusForbidden)

	// A used link says so.
	again := env.NewClient(t).Get(link)
	handlertest.WantStatus(t, again, http.StatusNotFound)
	if !strings.Contains(handlertest.MainText(again), "This link has already been used.") {
		t.Errorf("reused link page: %s", handlertest.MainText(again))
	}
}

func TestInvitationExpiresAfter72Hours(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	r := admin.Submit(admin.Get("/org/users/new"), "main form", url.Values{
		"email": {"late@contoso-partner.test"}, "role": {"incentives_admin"}})
	handlertest.WantStatus(t, r, http.StatusSeeOther)
	userPage := r.Location()
	link := handlertest.LinkIn(env.WaitForMail(t, handlertest.To("late@contoso-partner.test")), "/account/password/")

	env.Clock.Advance(72*time.Hour - time.Minute)
	handlertest.WantStatus(t, env.NewClient(t).Get(link), http.StatusOK)
	env.Clock.Advance(time.Minute)
	expired := env.NewClient(t).Get(link)
	handlertest.WantStatus(t, expired, http.StatusNotFound)
	if !strings.Contains(handlertest.MainText(expired), "This link has expired. Ask for a new one.") {
		t.Errorf("expired link page: %s", handlertest.MainText(expired))
	}
	// Setting a password through it is refused too.
	c := env.NewClient(t)
	c.Get("/forgot")
	r = c.PostForm(strings.TrimPrefix(link, env.URL), url.Values{"password": {"a-brand-new-password"}, "confirm": {"a-brand-new-password"}})
	handlertest.WantStatus(t, r, http.StatusNotFound)

	// The admin (signed in again: 72 hours outlast a session) sends a new one.
	admin = admPartnerAdmin(t, env)
	page := admin.Get(userPage)
	handlertest.WantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Doc().Find(`[data-testid="account-actions"]`).Text(), "Send a new invitation") {
		t.Fatalf("no new-invitation button: %q", page.Doc().Find(`[data-testid="account-actions"]`).Text())
	}
	r = admin.Submit(page, `form[action$="/link"]`, nil)
	if got := admFlashText(admFollow(t, admin, r)); got != "A new invitation is on its way to late@contoso-partner.test." {
		t.Errorf("flash %q", got)
	}
	fresh := handlertest.LinkIn(env.WaitForMail(t, handlertest.To("late@contoso-partner.test")), "/account/password/")
	if fresh == link {
		t.Fatal("the new invitation reuses the old link")
	}
	admSetPassword(t, env, fresh, "late@contoso-partner.test")
}

func TestAnotherOrganisationsUserIsNotFound(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	other := env.UserID(t, handlertest.OtherAdminEmail)
	base := fmt.Sprintf("/org/users/%d", other)
	handlertest.WantStatus(t, admin.Get(base), http.StatusNotFound)
	handlertest.WantStatus(t, admin.Get(base+"/disable"), http.StatusNotFound)
	for path, form := range map[string]url.Values{
		base + "/role":      {"role": {"incentives_user"}},
		base + "/locations": {"locations": {admLocationID(t, env, "1000001")}},
		base + "/disable":   nil,
		base + "/enable":    nil,
		base + "/link":      nil,
	} {
		r := admin.PostForm(path, form)
		handlertest.WantStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, handlertest.OtherAdminEmail) || strings.Contains(r.Body, "Fabrikam") {
			t.Errorf("%s hints at the other organisation's user", path)
		}
	}
	u, err := env.App.Store.UserByEmail(t.Context(), handlertest.OtherAdminEmail)
	if err != nil || u.Role != models.RoleAdmin || u.Disabled {
		t.Errorf("the other organisation's admin changed: %+v %v", u, err)
	}
	if env.Mailbox.Len() != 0 || env.QueryInt(t, `SELECT count(*) FROM outbox`) != 0 {
		t.Error("a link was sent to another organisation's user")
	}
	// Nor are their locations choosable for one's own people.
	fabLoc := admLocationID(t, env, "2000001")
	r := admin.PostForm(fmt.Sprintf("/org/users/%d/locations", env.UserID(t, handlertest.UserEmail)), url.Values{"locations": {fabLoc}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "locations"); got != "Choose locations of your organisation." {
		t.Errorf("foreign location message %q", got)
	}
}

func TestOrganisationKeepsAnActiveAdmin(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	self := fmt.Sprintf("/org/users/%d", env.UserID(t, handlertest.AdminEmail))
	const lastAdmin = "An organisation keeps at least one active incentives admin. Make someone else an incentives admin first."

	page := admin.Get(self)
	handlertest.WantStatus(t, page, http.StatusOK)
	r := admin.Submit(page, `form[action$="/role"]`, url.Values{"role": {"incentives_user"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "role"); got != lastAdmin {
		t.Errorf("demoting the last admin: %q", got)
	}
	if _, checked := r.Doc().Find(`input[name="role"][value="incentives_user"]`).Attr("checked"); !checked {
		t.Error("the chosen role is not kept")
	}
	// Disabling oneself (the last admin) is refused with the same message.
	r = admin.PostForm(self+"/disable", nil)
	if got := admFlashText(admFollow(t, admin, r)); got != lastAdmin {
		t.Errorf("disabling the last admin: %q", got)
	}
	if env.QueryInt(t, `SELECT count(*) FROM users WHERE email = ? AND role = 'incentives_admin' AND disabled = 0`, handlertest.AdminEmail) != 1 {
		t.Fatal("the last admin changed")
	}

	// With a second admin, the first may step down (and loses the page).
	userPage := fmt.Sprintf("/org/users/%d", env.UserID(t, handlertest.UserEmail))
	r = admin.Submit(admin.Get(userPage), `form[action$="/role"]`, url.Values{"role": {"incentives_admin"}})
	handlertest.WantRedirect(t, r, userPage)
	r = admin.Submit(admin.Get(self), `form[action$="/role"]`, url.Values{"role": {"incentives_user"}})
	handlertest.WantRedirect(t, r, "/dashboard")
	handlertest.WantStatus(t, admin.Get("/org/users"), http.StatusForbidden)
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'user.role'`); n != 2 {
		t.Errorf("%d user.role audit rows, want 2", n)
	}
}

func TestDisablingASignedInUserEndsTheirSession(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	user := env.NewClient(t)
	user.LoginAs(handlertest.UserEmail)
	handlertest.WantStatus(t, user.Get("/dashboard"), http.StatusOK)
	base := fmt.Sprintf("/org/users/%d", env.UserID(t, handlertest.UserEmail))

	confirm := admin.Get(base + "/disable")
	handlertest.WantStatus(t, confirm, http.StatusOK)
	if !strings.Contains(handlertest.MainText(confirm), "is signed out at once") {
		t.Errorf("confirmation page: %s", handlertest.MainText(confirm))
	}
	handlertest.WantStatus(t, user.Get("/dashboard"), http.StatusOK) // the GET changed nothing
	r := admin.Submit(confirm, `[data-testid="confirm"] form`, nil)
	page := admFollow(t, admin, r)
	if got := admFlashText(page); got != "user@contoso-partner.test is disabled and signed out." {
		t.Errorf("flash %q", got)
	}
	if !strings.Contains(page.Doc().Find(".badge").Text(), "Disabled") {
		t.Error("the user page does not show Disabled")
	}

	handlertest.WantRedirect(t, user.Get("/dashboard"), "/login?next=%2Fdashboard")
	handlertest.WantStatus(t, user.PostForm("/login", url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}}), http.StatusUnprocessableEntity)
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'user.disable' AND detail LIKE '%1 sessions ended'`); n != 1 {
		t.Errorf("%d user.disable audit rows naming the ended session", n)
	}

	r = admin.Submit(page, `form[action$="/enable"]`, nil)
	handlertest.WantRedirect(t, r, base)
	user.LoginAs(handlertest.UserEmail)

	// Nobody disables themselves.
	other := env.NewClient(t)
	env.Exec(t, `UPDATE users SET role = 'incentives_admin' WHERE email = ?`, handlertest.UserEmail)
	other.LoginAs(handlertest.UserEmail)
	self := fmt.Sprintf("/org/users/%d", env.UserID(t, handlertest.UserEmail))
	if own := other.Get(self); own.Doc().Find(`a[href$="/disable"]`).Length() != 0 {
		t.Error("one's own page offers to disable oneself")
	}
	r = other.PostForm(self+"/disable", nil)
	if got := admFlashText(admFollow(t, other, r)); got != "You cannot disable your own account. Ask another admin to do it." {
		t.Errorf("self-disable flash %q", got)
	}
}

func TestUserLocationScope(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	base := fmt.Sprintf("/org/users/%d", env.UserID(t, handlertest.UserEmail))
	page := admin.Get(base)
	handlertest.WantStatus(t, page, http.StatusOK)
	if _, checked := page.Doc().Find(`input[name="locations"][value="` + admLocationID(t, env, "1000001") + `"]`).Attr("checked"); !checked {
		t.Fatal("the user's location is not ticked")
	}
	r := admin.Submit(page, `form[action$="/locations"]`, url.Values{"locations": nil})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "locations"); !strings.HasPrefix(got, "Choose at least one location") {
		t.Errorf("empty scope message %q", got)
	}
	r = admin.Submit(page, `form[action$="/locations"]`, url.Values{"locations": {admLocationID(t, env, "1000002")}})
	handlertest.WantRedirect(t, r, base)

	user := env.NewClient(t)
	user.LoginAs(handlertest.UserEmail)
	locs := user.Get("/org/locations")
	mine := locs.Doc().Find(`[data-testid="locations"] tr:contains("1000002")`).Text()
	notMine := locs.Doc().Find(`[data-testid="locations"] tr:contains("1000001")`).Text()
	if !strings.Contains(mine, "Yours") || !strings.Contains(notMine, "Not yours") {
		t.Errorf("scope column: %q / %q", mine, notMine)
	}
	// The admin's own locations page has no scope column.
	if strings.Contains(admin.Get("/org/locations").Doc().Find(`[data-testid="locations"]`).Text(), "Yours") {
		t.Error("an admin sees a scope column")
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'user.scope' AND detail LIKE '%1000001 → 1000002'`); n != 1 {
		t.Errorf("%d user.scope audit rows", n)
	}
}

func TestUsersPageInHungarian(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	admin := admPartnerAdmin(t, env)
	admin.PostForm("/lang", url.Values{"lang": {"hu"}, "back": {"/org/users"}})
	page := admin.Get("/org/users")
	handlertest.WantStatus(t, page, http.StatusOK)
	if h1 := strings.TrimSpace(page.Doc().Find("h1").Text()); h1 != "Felhasználók" {
		t.Errorf("h1 %q", h1)
	}
	text := handlertest.MainText(page)
	for _, en := range []string{"Invite a colleague", "Last signed in", "Incentives admin", "Active"} {
		if strings.Contains(text, en) {
			t.Errorf("the Hungarian page shows %q", en)
		}
	}
	for _, hu := range []string{"Kolléga meghívása", "Ösztönzők rendszergazdája", "Ösztönzők felhasználója", "Aktív"} {
		if !strings.Contains(text, hu) {
			t.Errorf("the Hungarian page lacks %q", hu)
		}
	}
}
