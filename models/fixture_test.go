package models_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Budapest without relying on the host's zoneinfo

	"cpor/handlers/handlertest"
	"cpor/models"
	"cpor/views/emails"
)

// The claims engine's test fixture: a migrated temp-file database with the
// demo data, a Store on a fake clock with the real email composer, and
// helpers that drive claims through Store.Apply the way people do.
//
// Unless a test says otherwise, a claim of the fixture is a Business Applications claim of
// Contoso Partners (location 1000001, created by the incentives user) on a
// subscription of its own, so claims never meet on a key unless a test
// puts them there on purpose (fx.key() hands out fresh subscriptions).

const (
	fxTenant  = "7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01"
	fxDomain  = "contoso-customer.test"
	fxProgBA  = 3 // OSU – Business Applications
	fxProgOSA = 1
	// fxPartnerContact is the claims' partner contact: not a user, so the
	// organisation's language applies.
	fxPartnerContact  = "sales@contoso-partner.test"
	fxFabrikamContact = "sales@fabrikam-partner.test"
	// fxTypedCustomer is the customer contact the partner typed: its domain
	// is verified on the tenant, so it gets a consent link too.
	fxTypedCustomer = "ceo@contoso-customer.test"

	fxAdmin       = "admin@contoso-partner.test"
	fxUser        = "user@contoso-partner.test"
	fxOtherAdmin  = "admin@fabrikam-partner.test"
	fxReviewer    = "reviewer@program.test"
	fxOperator    = "operator@program.test"
	fxContactEN   = "it-admin@contoso-customer.test"
	fxContactHU   = "penzugy@contoso-customer.test"
	fxSalesName   = "Dynamics 365 Sales"
	fxPDFContents = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
)

// fxPartnerMail is who partner emails go to: the claim's creator and its partner contact.
var fxPartnerMail = []string{fxUser, fxPartnerContact}

// fxCustomers is who consent emails go to: the tenant's two directory
// contacts and the verified contact the partner typed.
var fxCustomers = []string{fxContactEN, fxContactHU, fxTypedCustomer}

type fixture struct {
	t     testing.TB
	ctx   context.Context
	db    *models.DB
	s     *models.Store
	clock *handlertest.Clock
	ref   *models.RefData

	contoso, fabrikam     int64 // organisation IDs
	loc1, loc2, fabLoc    int64 // locations 1000001, 1000002, 2000001
	admin, user, otherAdm models.Who
	reviewer, operator    models.Who
	salesID               int64 // Dynamics 365 Sales
	usageBA               int64 // the Business Applications Usage activity

	pool *fxKeys
}

// fxKeys are the fresh subscriptions not yet handed out.
type fxKeys struct {
	mu   sync.Mutex
	keys []string
	seq  int
}

// at returns the fixture reporting to t (a subtest), sharing everything else.
func (f *fixture) at(t testing.TB) *fixture {
	g := *f
	g.t = t
	return &g
}

type fxOption func(*models.StoreOptions)

func withZone(loc *time.Location) fxOption {
	return func(o *models.StoreOptions) { o.Location = loc }
}

// newFixture opens the database and loads the demo data. The clock starts
// at handlertest.DefaultStart, Wednesday 4 March 2026, 10:00 UTC.
func newFixture(t testing.TB, opts ...fxOption) *fixture {
	t.Helper()
	handlertest.FastPasswords()
	db, err := models.Open(filepath.Join(t.TempDir(), "cpor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(); err != nil {
		t.Fatal(err)
	}
	clock := handlertest.NewClock(handlertest.DefaultStart)
	o := models.StoreOptions{Clock: clock, PublicURL: "https://cpor.test", Composer: emails.Composer{}}
	for _, fn := range opts {
		fn(&o)
	}
	f := &fixture{t: t, ctx: context.Background(), db: db, s: models.NewStore(db, o), clock: clock, pool: &fxKeys{}}
	if _, err := f.s.SeedDemo(f.ctx); err != nil {
		t.Fatal(err)
	}
	if f.ref, err = f.s.RefData(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.contoso = f.orgID("Contoso Partners")
	f.fabrikam = f.orgID("Fabrikam Services")
	f.loc1 = f.int(`SELECT id FROM locations WHERE mpn_id = '1000001'`)
	f.loc2 = f.int(`SELECT id FROM locations WHERE mpn_id = '1000002'`)
	f.fabLoc = f.int(`SELECT id FROM locations WHERE mpn_id = '2000001'`)
	f.admin = f.person(fxAdmin)
	f.user = f.person(fxUser)
	f.otherAdm = f.person(fxOtherAdmin)
	f.reviewer = f.person(fxReviewer)
	f.operator = f.person(fxOperator)
	sales, ok := f.ref.ProductByName(models.AreaBizApps, fxSalesName)
	if !ok {
		t.Fatal("no Dynamics 365 Sales product")
	}
	f.salesID = sales.ID
	f.usageBA = f.int(`SELECT id FROM activities WHERE solution_area = 'bizapps' AND name = 'Usage'`)
	return f
}

func (f *fixture) orgID(name string) int64 {
	f.t.Helper()
	o, err := f.s.OrganisationByName(f.ctx, name)
	if err != nil {
		f.t.Fatal(err)
	}
	return o.ID
}

// person is the Who of a demo account, as WhoOf builds it for a request.
func (f *fixture) person(email string) models.Who {
	f.t.Helper()
	u, err := f.s.UserByEmail(f.ctx, email)
	if err != nil {
		f.t.Fatalf("user %s: %v", email, err)
	}
	locs, err := f.s.UserLocations(f.ctx, u.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return models.WhoOf(&models.Principal{User: *u, Locations: locs}, "192.0.2.1")
}

// viewerOf is the Viewer of a signed-in person's Who.
func viewerOf(w models.Who) models.Viewer {
	return models.Viewer{Role: w.Role, UserID: w.UserID, OrgID: w.OrgID, Locations: w.Locations}
}

// system is the worker's Who.
func (f *fixture) system() models.Who { return models.Who{Role: models.RoleSystem, Label: "system"} }

// customer acts through the claim's current link of the given contact (0 when none exists).
func (f *fixture) customer(claimID int64, email string) models.Who {
	id := f.int(`SELECT coalesce(max(id), 0) FROM consent_links WHERE claim_id = ? AND email = ? AND replaced_at IS NULL`, claimID, email)
	return models.Who{Role: models.RoleCustomer, Label: "customer " + email, LinkID: id}
}

func (f *fixture) int(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.R.Raw(query, args...).Scan(&n).Error; err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) str(query string, args ...any) string {
	f.t.Helper()
	var s string
	if err := f.db.R.Raw(query, args...).Scan(&s).Error; err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return s
}

func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if err := f.db.W.Exec(query, args...).Error; err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// key hands out a subscription of Dynamics 365 Sales (VL, active) on the
// demo tenant that no claim has used, importing a batch when needed.
func (f *fixture) key() string {
	f.t.Helper()
	p := f.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.keys) == 0 {
		var b strings.Builder
		b.WriteString("kind,tenant_id,tenant_name,value,product,channel,state,contact_name,language\n")
		for i := 0; i < 250; i++ {
			p.seq++
			sub := fmt.Sprintf("%08x-0000-4000-8000-%012x", p.seq, p.seq)
			fmt.Fprintf(&b, "subscription,%s,,%s,%s,VL,active,,\n", fxTenant, sub, fxSalesName)
			p.keys = append(p.keys, sub)
		}
		if _, err := f.s.ImportDirectory(f.ctx, models.Actor{Label: "test"}, strings.NewReader(b.String())); err != nil {
			f.t.Fatalf("import subscriptions: %v", err)
		}
	}
	k := p.keys[0]
	p.keys = p.keys[1:]
	return k
}

// input is a complete Business Applications claim on the given
// subscriptions (OSA Sell at location 1000002, the only program it is
// enrolled in; OSU – Business Applications elsewhere).
func (f *fixture) input(loc int64, subs ...string) models.ClaimInput {
	prog := int64(fxProgBA)
	if loc == f.loc2 {
		prog = fxProgOSA
	}
	in := models.ClaimInput{
		LocationID: loc, Domain: fxDomain, TenantID: fxTenant, ProgramID: prog, ActivityID: f.usageBA,
		Name:                "Sales for Contoso Customer",
		CustomerContactName: "Cecil Chief", CustomerContactTitle: "CEO", CustomerContactEmail: fxTypedCustomer,
		PartnerContactName: "Sam Sales", PartnerContactEmail: fxPartnerContact,
	}
	if loc == f.fabLoc {
		in.PartnerContactEmail = fxFabrikamContact
	}
	for _, s := range subs {
		in.Lines = append(in.Lines, models.LineInput{ProductID: f.salesID, SubscriptionID: s})
	}
	return in
}

// draft saves a Contoso draft (as the incentives user) on the given
// subscriptions, or a fresh one, with one proof-of-execution file.
func (f *fixture) draft(subs ...string) int64 {
	f.t.Helper()
	if len(subs) == 0 {
		subs = []string{f.key()}
	}
	return f.draftBy(f.user, f.loc1, subs...)
}

// draftBy saves a draft as who at a location, with one file.
func (f *fixture) draftBy(who models.Who, loc int64, subs ...string) int64 {
	f.t.Helper()
	id, err := f.s.CreateDraft(f.ctx, who, f.input(loc, subs...))
	if err != nil {
		f.t.Fatalf("create draft: %v", err)
	}
	if _, err := f.s.AddFiles(f.ctx, who, id, []models.Upload{{Name: "poe.pdf", Data: []byte(fxPDFContents)}}); err != nil {
		f.t.Fatalf("add file: %v", err)
	}
	return id
}

// req builds a request with what each action needs (reasons, a justification).
func req(id int64, act models.Action) models.Request {
	r := models.Request{ClaimID: id, Action: act}
	switch act {
	case models.ActRequestInfo:
		r.Reasons = []string{"missing_ack"}
	case models.ActReject:
		r.Reasons = []string{models.ReasonInsufficientPoE}
	case models.ActDispute:
		r.Note = "The acknowledgment was attached on page 2."
	}
	return r
}

// do applies an action and fails the test on any error.
func (f *fixture) do(who models.Who, id int64, act models.Action) models.Result {
	f.t.Helper()
	res, err := f.s.Apply(f.ctx, nil, who, req(id, act))
	if err != nil {
		f.t.Fatalf("%s on %s as %s: %v", act, models.ClaimNumber(id), who.Role, err)
	}
	return res
}

// token returns the personal link token in the newest consent email of a
// contact (read from the outbox before delivery blanks it).
func (f *fixture) token(claimID int64, email string) string {
	f.t.Helper()
	u := f.str(`SELECT secret FROM outbox WHERE claim_id = ? AND to_email = ? AND secret <> '' ORDER BY id DESC LIMIT 1`, claimID, email)
	i := strings.LastIndex(u, "/c/")
	if i < 0 {
		f.t.Fatalf("no consent link for %s on %s", email, models.ClaimNumber(claimID))
	}
	return u[i+3:]
}

// decide is a customer's decision through their emailed link.
func (f *fixture) decide(claimID int64, email string, act models.Action) (models.Result, error) {
	return f.s.CustomerDecide(f.ctx, f.token(claimID, email), act, "", "198.51.100.7")
}

// The path from a draft to each status, through the people who take each step.
var fxPaths = map[models.Status][]models.Action{
	models.StatusEditing:        nil,
	models.StatusSubmitted:      {models.ActSubmit},
	models.StatusUnderReview:    {models.ActSubmit, models.ActStartReview},
	models.StatusActionRequired: {models.ActSubmit, models.ActStartReview, models.ActRequestInfo},
	models.StatusConsent:        {models.ActSubmit, models.ActStartReview, models.ActApprove},
	models.StatusOfficial:       {models.ActSubmit, models.ActStartReview, models.ActApprove, models.ActCustomerAccept},
	models.StatusRejected:       {models.ActSubmit, models.ActStartReview, models.ActReject},
	models.StatusDisputed:       {models.ActSubmit, models.ActStartReview, models.ActReject, models.ActDispute},
	models.StatusWithdrawn:      {models.ActSubmit, models.ActWithdraw},
	models.StatusEnded:          {models.ActSubmit, models.ActStartReview, models.ActApprove, models.ActCustomerAccept, models.ActEnd},
}

// actor is who takes a step on the way.
func (f *fixture) actor(id int64, act models.Action) models.Who {
	switch act {
	case models.ActStartReview, models.ActRequestInfo, models.ActApprove, models.ActReject, models.ActReopen,
		models.ActUphold, models.ActResendConsent:
		return f.reviewer
	case models.ActCustomerAccept, models.ActCustomerOptOut, models.ActCustomerEnd:
		return f.customer(id, fxContactEN)
	case models.ActRequestSubmission:
		return f.user
	case models.ActConsentExpire, models.ActInfoExpire:
		return f.system()
	}
	if f.claim(id).OrganisationID == f.fabrikam {
		return f.otherAdm
	}
	return f.admin
}

// drive takes a claim from Editing to the status, asserting each step.
func (f *fixture) drive(id int64, to models.Status) {
	f.t.Helper()
	path, ok := fxPaths[to]
	if !ok {
		f.t.Fatalf("no path to %s", to)
	}
	for _, act := range path {
		if act == models.ActCustomerAccept {
			if _, err := f.decide(id, fxContactEN, act); err != nil {
				f.t.Fatalf("customer accept on %s: %v", models.ClaimNumber(id), err)
			}
			continue
		}
		f.do(f.actor(id, act), id, act)
	}
	if got := f.claim(id).Status; got != to {
		f.t.Fatalf("%s driven to %s is %s", models.ClaimNumber(id), to, got)
	}
}

// claimIn returns a fresh claim driven to the status.
func (f *fixture) claimIn(to models.Status) int64 {
	f.t.Helper()
	id := f.draft()
	f.drive(id, to)
	return id
}

// claim reads a claim as an operator sees it.
func (f *fixture) claim(id int64) *models.Claim {
	f.t.Helper()
	c, _, err := f.s.ClaimFor(f.ctx, models.Viewer{Role: models.RoleOperator}, id)
	if err != nil {
		f.t.Fatalf("claim %d: %v", id, err)
	}
	return c
}

func (f *fixture) lines(id int64) []models.Line {
	f.t.Helper()
	_, ls, err := f.s.ClaimFor(f.ctx, models.Viewer{Role: models.RoleOperator}, id)
	if err != nil {
		f.t.Fatalf("claim %d: %v", id, err)
	}
	return ls
}

// history lists a claim's history rows.
func (f *fixture) history(id int64) []models.HistoryEntry {
	f.t.Helper()
	h, err := f.s.ClaimHistory(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// transitions are a claim's history rows that moved or named an action
// (not comments, files, edits, emails or new links).
func (f *fixture) transitions(id int64) []models.HistoryEntry {
	var out []models.HistoryEntry
	for _, h := range f.history(id) {
		switch h.Kind {
		case "comment", "file", "edit", "created", "new_link", "dispute_window_closed":
			continue
		}
		out = append(out, h)
	}
	return out
}

func (f *fixture) lastMailID() int64 { return f.int(`SELECT coalesce(max(id), 0) FROM outbox`) }

// mail is one queued email: its kind and recipient.
type mail struct{ Kind, To string }

func (m mail) String() string { return m.Kind + "→" + m.To }

// mailsSince lists the emails queued after the outbox ID, sorted.
func (f *fixture) mailsSince(after int64) []mail {
	f.t.Helper()
	var rows []struct{ Kind, ToEmail string }
	if err := f.db.R.Raw(`SELECT kind, to_email FROM outbox WHERE id > ? ORDER BY id`, after).Scan(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	out := make([]mail, 0, len(rows))
	for _, r := range rows {
		out = append(out, mail{r.Kind, r.ToEmail})
	}
	sortMails(out)
	return out
}

// claimMailsSince lists one claim's emails queued after the outbox ID, sorted.
func (f *fixture) claimMailsSince(id, after int64) []mail {
	var out []mail
	var rows []struct{ Kind, ToEmail string }
	if err := f.db.R.Raw(`SELECT kind, to_email FROM outbox WHERE id > ? AND claim_id = ?`, after, id).Scan(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rows {
		out = append(out, mail{r.Kind, r.ToEmail})
	}
	sortMails(out)
	return out
}

func sortMails(ms []mail) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].String() < ms[j].String() })
}

// mailsTo builds the expected emails of a kind to each recipient.
func mailsTo(kind string, to ...string) []mail {
	out := make([]mail, 0, len(to))
	for _, a := range to {
		out = append(out, mail{kind, a})
	}
	return out
}

func wantMails(t testing.TB, what string, got []mail, want ...[]mail) {
	t.Helper()
	var all []mail
	for _, w := range want {
		all = append(all, w...)
	}
	sortMails(all)
	if len(all) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, all) {
		t.Errorf("%s: emails\n got  %v\n want %v", what, got, all)
	}
}

// pendingTimers lists the kinds of a claim's timers not yet done, sorted.
func (f *fixture) pendingTimers(id int64) []string {
	f.t.Helper()
	var kinds []string
	if err := f.db.R.Raw(`SELECT kind FROM timers WHERE claim_id = ? AND done_at IS NULL ORDER BY kind`, id).Scan(&kinds).Error; err != nil {
		f.t.Fatal(err)
	}
	return kinds
}

// snapshot is everything an action could change, to prove a refused one
// changed nothing: the claim's row, lines, timers and links, and the counts
// and versions of everything else.
type snapshot struct {
	Claim  map[string]any
	Lines  []map[string]any
	Timers []map[string]any
	Links  []map[string]any
	Totals map[string]any
}

func (f *fixture) snap(id int64) snapshot {
	f.t.Helper()
	var s snapshot
	rows := func(q string, args ...any) []map[string]any {
		var out []map[string]any
		if err := f.db.R.Raw(q, args...).Scan(&out).Error; err != nil {
			f.t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	if c := rows(`SELECT * FROM claims WHERE id = ?`, id); len(c) == 1 {
		s.Claim = c[0]
	}
	s.Lines = rows(`SELECT * FROM claim_lines WHERE claim_id = ? ORDER BY id`, id)
	s.Timers = rows(`SELECT * FROM timers WHERE claim_id = ? ORDER BY id`, id)
	s.Links = rows(`SELECT id, email, replaced_at, outbox_id FROM consent_links WHERE claim_id = ? ORDER BY id`, id)
	s.Totals = rows(`SELECT (SELECT count(*) FROM claims) AS claims, (SELECT total(version) FROM claims) AS versions,
		(SELECT count(*) FROM claim_lines) AS lines, (SELECT count(*) FROM claim_lines WHERE state = 'ended') AS ended_lines,
		(SELECT count(*) FROM claim_history) AS history, (SELECT count(*) FROM outbox) AS outbox,
		(SELECT count(*) FROM timers) AS timers, (SELECT count(*) FROM timers WHERE done_at IS NULL) AS pending,
		(SELECT count(*) FROM consent_links) AS links, (SELECT count(*) FROM claim_files) AS files,
		(SELECT count(*) FROM file_blobs) AS blobs, (SELECT count(*) FROM audit_log) AS audit`)[0]
	return s
}

// unchanged fails the test when anything differs from the snapshot.
func (f *fixture) unchanged(t testing.TB, what string, before snapshot, id int64) {
	t.Helper()
	after := f.snap(id)
	if !reflect.DeepEqual(before, after) {
		for _, part := range []struct {
			name string
			a, b any
		}{{"claim", before.Claim, after.Claim}, {"lines", before.Lines, after.Lines}, {"timers", before.Timers, after.Timers},
			{"links", before.Links, after.Links}, {"totals", before.Totals, after.Totals}} {
			if !reflect.DeepEqual(part.a, part.b) {
				t.Errorf("%s changed the %s:\n before %v\n after  %v", what, part.name, part.a, part.b)
			}
		}
	}
}

// keysWithTwo counts the keys with more than one line in the state (SPEC
// §4.3 allows one official and one consent-period line per key).
func (f *fixture) keysWithTwo(state models.Status) int64 {
	return f.int(`SELECT count(*) FROM (SELECT key FROM claim_lines WHERE state = ? GROUP BY key HAVING count(*) > 1)`, string(state))
}

// delivered is what the worker delivered: .eml files written by the
// production FileSender, and the outbox rows it marked sent.
type delivered struct {
	f   *fixture
	dir string
}

// count is how many messages of the kind were delivered (to one address, or to anyone).
func (d *delivered) count(kind, to string) int {
	return int(d.f.int(`SELECT count(*) FROM outbox WHERE state = 'sent' AND kind = ? AND (? = '' OR to_email = ?)`, kind, to, to))
}

// files is how many messages were written out.
func (d *delivered) files() int {
	entries, _ := os.ReadDir(d.dir)
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			n++
		}
	}
	return n
}

// worker builds a worker delivering into .eml files in a temp folder.
func (f *fixture) worker() (*models.Worker, *delivered) {
	dir := filepath.Join(f.t.TempDir(), "mail")
	return models.NewWorker(f.s, models.FileSender{Dir: dir}, "no-reply@cpor.test", fxQuietLog()), &delivered{f: f, dir: dir}
}

func (f *fixture) runWorker(w *models.Worker) {
	f.t.Helper()
	if err := w.RunOnce(f.ctx); err != nil {
		f.t.Fatalf("worker pass: %v", err)
	}
}

func fxQuietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
