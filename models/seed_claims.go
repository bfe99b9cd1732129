package models

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Large-data seeding: the shape of a busy program, for measuring pages and
// the worker at volume (SPEC §7 `cpor seed --claims N`).
const (
	seedOrgs    = 2000
	seedTenants = 50000
	// The demo organisation Contoso Partners gets this share of all claims,
	// so one partner has a list deep enough to page through.
	seedBigOrgShare = 10
	seedBatch       = 20000
)

// seedStatuses is the status mix, in per-mille.
var seedStatuses = []struct {
	s  Status
	pm int
}{
	{StatusEditing, 100}, {StatusSubmitted, 80}, {StatusUnderReview, 80}, {StatusActionRequired, 50},
	{StatusConsent, 50}, {StatusOfficial, 400}, {StatusRejected, 120}, {StatusDisputed, 20},
	{StatusWithdrawn, 50}, {StatusEnded, 50},
}

func seedStatus(r *rand.Rand) Status {
	n := r.IntN(1000)
	for _, x := range seedStatuses {
		if n < x.pm {
			return x.s
		}
		n -= x.pm
	}
	return StatusOfficial
}

func seedGUID(kind, n int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", kind, n>>16&0xffff, n>>4&0xfff, n&0xfff, n)
}

// SeedClaims builds n synthetic claims over 2,000 organisations and 50,000
// tenants, every status, with history (≈ 3 rows a claim), file metadata,
// comments, outbox rows and open timers. It loads the demo data first, so
// the demo accounts sign in to the big dataset. Writes go in large
// transactions of prepared statements; progress goes to out.
func SeedClaims(s *Store, n int, out io.Writer) error {
	ctx := context.Background()
	start := time.Now()
	if _, err := s.SeedDemo(ctx); err != nil {
		return err
	}
	var existing int64
	if err := s.db.R.Raw(`SELECT count(*) FROM claims`).Scan(&existing).Error; err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("the database already has %d claims; seed a fresh database", existing)
	}
	return s.db.Exclusive(func(conn *sql.Conn) error { return seedClaims(s, conn, n, out, start) })
}

func seedClaims(s *Store, sqlDB *sql.Conn, n int, out io.Writer, start time.Time) error {
	ctx := context.Background()
	// Speed over durability while seeding a throwaway dataset; restored below.
	// A large page cache keeps the indexes in memory while they grow.
	if _, err := sqlDB.ExecContext(ctx, `PRAGMA synchronous = OFF; PRAGMA cache_size = -400000`); err != nil {
		return err
	}
	defer sqlDB.ExecContext(ctx, `PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000`)

	ref, err := s.RefData(ctx)
	if err != nil {
		return err
	}
	var m365, ba []int64
	for _, p := range ref.Products {
		if p.SolutionArea == AreaM365 {
			m365 = append(m365, p.ID)
		} else {
			ba = append(ba, p.ID)
		}
	}
	acts := map[string][]int64{}
	for _, a := range ref.Activities {
		acts[a.SolutionArea] = append(acts[a.SolutionArea], a.ID)
	}
	orgs, err := seedOrgsAndUsers(s, sqlDB)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "organisations and users ready (%d organisations) in %s\n", len(orgs), time.Since(start).Round(time.Millisecond))
	if err := seedTenantsRows(s, sqlDB); err != nil {
		return err
	}
	fmt.Fprintf(out, "tenants ready (%d) in %s\n", seedTenants, time.Since(start).Round(time.Millisecond))

	r := rand.New(rand.NewPCG(1, 2))
	now := s.Now()
	nowMs := Ms(now)
	var m365Count int
	lastM365 := map[int]int64{} // m365 counter → org, for competing pairs
	for done := 0; done < n; {
		end := min(done+seedBatch, n)
		tx, err := sqlDB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		st, err := prepareSeed(tx)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := done; i < end; i++ {
			id := int64(i + 1)
			var org seedOrg
			if r.IntN(100) < seedBigOrgShare {
				org = orgs[0]
			} else {
				org = orgs[1+r.IntN(len(orgs)-1)]
			}
			status := seedStatus(r)
			progID := int64(1 + i%3)
			area := AreaBizApps
			if progID == 2 {
				area = AreaM365
			}
			actList := acts[area]
			actID := actList[r.IntN(len(actList))]
			created := now.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
			updated := created.Add(time.Duration(r.Int64N(int64(now.Sub(created)) + 1)))
			var tenant, sub string
			var productID int64
			var key string
			if area == AreaM365 {
				m := m365Count
				m365Count++
				t := m % seedTenants
				w := (m / seedTenants) % len(m365)
				// Every tenth review-stage claim competes with the previous one.
				if (status == StatusSubmitted || status == StatusUnderReview) && m%10 == 0 && m > 0 && lastM365[m-1] != org.id {
					t = (m - 1) % seedTenants
					w = ((m - 1) / seedTenants) % len(m365)
				}
				lastM365[m] = org.id
				delete(lastM365, m-2)
				tenant = seedGUID(0x7e000000, t)
				productID = m365[w]
				key = lineKey(tenant, productID, "")
			} else {
				tenant = seedGUID(0x7e000000, r.IntN(seedTenants))
				sub = seedGUID(0x5b000000, i)
				productID = ba[r.IntN(len(ba))]
				key = lineKey(tenant, productID, sub)
				channel := []string{ChannelVL, ChannelWebDirect}[r.IntN(2)]
				if _, err := st.sub.Exec(sub, tenant, productID, channel, SubActive, nowMs); err != nil {
					tx.Rollback()
					return fmt.Errorf("subscription: %w", err)
				}
			}
			c := seedClaimTimes(status, created, updated, now, r)
			reason := ""
			switch status {
			case StatusRejected:
				reason = RejectReasons[r.IntN(len(RejectReasons))]
			case StatusWithdrawn:
				reason = ReasonPartnerRequest
			case StatusEnded:
				reason = []string{ReasonPartnerRequest, ReasonCustomerEnded, ReasonSuperseded}[r.IntN(3)]
			}
			domain := fmt.Sprintf("tenant%05d.example", tenantIndex(tenant))
			if _, err := st.claim.Exec(id, org.id, org.location, org.user, progID, actID, tenant, domain,
				fmt.Sprintf("Claim %d for tenant %s", id, domain[:12]),
				"Customer Contact", "IT manager", "it@"+domain, "Partner Contact", "partner@org.example",
				status, reason, Ms(created), Ms(updated), Ms(updated), c.requested, c.submitted, c.reviewDue, c.infoDue,
				c.consentDue, c.disputeUntil, c.official, c.ended); err != nil {
				tx.Rollback()
				return fmt.Errorf("claim %d: %w", id, err)
			}
			lineState := status
			endReason := ""
			if status == StatusEnded {
				endReason = reason
			}
			if _, err := st.line.Exec(id, org.id, productID, nullStr(sub), key, lineState, endReason); err != nil {
				tx.Rollback()
				return fmt.Errorf("line of claim %d: %w", id, err)
			}
			if _, err := st.history.Exec(id, Ms(created), org.user, "seed", "incentives_admin", "created", "", StatusEditing, ""); err != nil {
				tx.Rollback()
				return err
			}
			if status != StatusEditing {
				if _, err := st.history.Exec(id, c.submitted, org.user, "seed", "incentives_admin", "submit", StatusEditing, StatusSubmitted, ""); err != nil {
					tx.Rollback()
					return err
				}
				if _, err := st.outbox.Exec("claim_submitted", "partner@org.example", "en", "Claim submitted", "Claim submitted.", "<p>Claim submitted.</p>", id, c.submitted, c.submitted); err != nil {
					tx.Rollback()
					return err
				}
			}
			if status != StatusEditing && status != StatusSubmitted {
				if _, err := st.history.Exec(id, Ms(updated), nil, "reviewer@program.test", "reviewer", "start_review", StatusSubmitted, status, ""); err != nil {
					tx.Rollback()
					return err
				}
			}
			if i%10 == 0 {
				if _, err := st.history.Exec(id, Ms(updated), org.user, "seed", "incentives_admin", "comment", status, status, "Customer confirmed the rollout plan."); err != nil {
					tx.Rollback()
					return err
				}
			}
			if status != StatusEditing || i%2 == 0 {
				if _, err := st.file.Exec(id, org.user, "proof-of-execution.pdf", "application/pdf", len(seedPDF), "seed", Ms(created)); err != nil {
					tx.Rollback()
					return err
				}
				if _, err := st.blob.Exec(seedPDF); err != nil {
					tx.Rollback()
					return err
				}
			}
			for _, tm := range c.timers {
				if _, err := st.timer.Exec(id, tm.kind, tm.due, tm.deadline); err != nil {
					tx.Rollback()
					return err
				}
			}
		}
		st.close()
		if err := tx.Commit(); err != nil {
			return err
		}
		done = end
		fmt.Fprintf(out, "seeded %d/%d claims in %s\n", done, n, time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintln(out, "analyzing…")
	if _, err := sqlDB.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	if _, err := sqlDB.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	fmt.Fprintf(out, "done: %d claims in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

var seedPDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func tenantIndex(guid string) int {
	var n int
	fmt.Sscanf(guid[24:], "%x", &n)
	return n
}

type seedOrg struct{ id, location, user int64 }

// seedOrgsAndUsers adds organisations (one location each, enrolled in every
// program, an incentives admin and an incentives user) up to seedOrgs; the
// first is the demo's Contoso Partners.
func seedOrgsAndUsers(s *Store, db *sql.Conn) ([]seedOrg, error) {
	ctx := context.Background()
	var contoso seedOrg
	if err := db.QueryRowContext(ctx, `SELECT o.id, l.id, u.id FROM organisations o JOIN locations l ON l.organisation_id = o.id AND l.mpn_id = '1000001'
		JOIN users u ON u.organisation_id = o.id AND u.role = 'incentives_admin' WHERE o.name = 'Contoso Partners'`).Scan(&contoso.id, &contoso.location, &contoso.user); err != nil {
		return nil, err
	}
	orgs := []seedOrg{contoso}
	hash := HashPassword(DemoPassword)
	now := Ms(s.Now())
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for i := 1; i < seedOrgs; i++ {
		res, err := tx.Exec(`INSERT INTO organisations (name, language, created_at) VALUES (?, ?, ?)`, fmt.Sprintf("Partner %04d Ltd", i), []string{"en", "hu"}[i%2], now)
		if err != nil {
			return nil, err
		}
		var o seedOrg
		o.id, _ = res.LastInsertId()
		res, err = tx.Exec(`INSERT INTO locations (organisation_id, mpn_id, name, created_at) VALUES (?, ?, ?, ?)`, o.id, fmt.Sprint(3000000+i), "Head office", now)
		if err != nil {
			return nil, err
		}
		o.location, _ = res.LastInsertId()
		for p := 1; p <= 3; p++ {
			if _, err := tx.Exec(`INSERT INTO location_programs (location_id, program_id) VALUES (?, ?)`, o.location, p); err != nil {
				return nil, err
			}
		}
		res, err = tx.Exec(`INSERT INTO users (email, name, role, organisation_id, language, password_hash, created_at) VALUES (?, ?, 'incentives_admin', ?, '', ?, ?)`,
			fmt.Sprintf("admin@partner%04d.example", i), "Admin", o.id, hash, now)
		if err != nil {
			return nil, err
		}
		o.user, _ = res.LastInsertId()
		res, err = tx.Exec(`INSERT INTO users (email, name, role, organisation_id, language, password_hash, created_at) VALUES (?, ?, 'incentives_user', ?, '', ?, ?)`,
			fmt.Sprintf("user@partner%04d.example", i), "User", o.id, hash, now)
		if err != nil {
			return nil, err
		}
		uid, _ := res.LastInsertId()
		if _, err := tx.Exec(`INSERT INTO user_locations (user_id, location_id) VALUES (?, ?)`, uid, o.location); err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	return orgs, tx.Commit()
}

// seedTenantsRows adds the synthetic tenants with a domain and two contacts each.
func seedTenantsRows(s *Store, db *sql.Conn) error {
	ctx := context.Background()
	now := Ms(s.Now())
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for t := 0; t < seedTenants; t++ {
		id := seedGUID(0x7e000000, t)
		domain := fmt.Sprintf("tenant%05d.example", t)
		if _, err := tx.Exec(`INSERT INTO tenants (id, name, updated_at) VALUES (?, ?, ?)`, id, fmt.Sprintf("Customer %05d", t), now); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO tenant_domains (domain, tenant_id) VALUES (?, ?)`, domain, id); err != nil {
			return err
		}
		for k, lang := range []string{"en", "hu"} {
			if _, err := tx.Exec(`INSERT INTO tenant_contacts (tenant_id, name, email, language) VALUES (?, ?, ?, ?)`,
				id, "Admin", fmt.Sprintf("admin%d@%s", k, domain), lang); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

type seedStmts struct{ claim, line, history, outbox, file, blob, timer, sub *sql.Stmt }

func prepareSeed(tx *sql.Tx) (*seedStmts, error) {
	var st seedStmts
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = tx.Prepare(q)
		return s
	}
	st.claim = prep(`INSERT INTO claims (id, organisation_id, location_id, creator_id, program_id, activity_id, tenant_id, domain, name,
		customer_contact_name, customer_contact_title, customer_contact_email, partner_contact_name, partner_contact_email,
		status, reason, created_at, updated_at, status_at, submission_requested_at, submitted_at, review_due_at, info_due_at,
		consent_due_at, dispute_until, official_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	st.line = prep(`INSERT INTO claim_lines (claim_id, organisation_id, product_id, subscription_id, key, state, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	st.history = prep(`INSERT INTO claim_history (claim_id, at, actor_id, actor, actor_role, kind, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	st.outbox = prep(`INSERT INTO outbox (kind, to_email, language, subject, text_body, html_body, claim_id, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', 1, ?, ?)`)
	st.file = prep(`INSERT INTO claim_files (claim_id, uploader_id, name, content_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	st.blob = prep(`INSERT INTO file_blobs (file_id, data) VALUES (last_insert_rowid(), ?)`)
	st.timer = prep(`INSERT INTO timers (claim_id, kind, due_at, deadline_at) VALUES (?, ?, ?, ?)`)
	st.sub = prep(`INSERT INTO subscriptions (id, tenant_id, product_id, channel, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
	return &st, err
}

func (st *seedStmts) close() {
	for _, s := range []*sql.Stmt{st.claim, st.line, st.history, st.outbox, st.file, st.blob, st.timer, st.sub} {
		s.Close()
	}
}

type seedTimer struct {
	kind          string
	due, deadline int64
}

type seedTimes struct {
	requested, submitted, reviewDue, infoDue, consentDue, disputeUntil, official, ended any
	timers                                                                              []seedTimer
}

// seedClaimTimes gives a claim the dates its status implies. Deadlines still
// open lie in the future (with their timers), so a fresh dataset has no
// backlog for the worker.
func seedClaimTimes(status Status, created, updated, now time.Time, r *rand.Rand) seedTimes {
	var t seedTimes
	future := func() int64 { return Ms(now.Add(time.Duration(1+r.IntN(7*24)) * time.Hour)) }
	submitted := created.Add(time.Hour)
	if submitted.After(updated) {
		submitted = updated // never after its last change, nor in the future
	}
	sub := Ms(submitted)
	switch status {
	case StatusEditing:
		if r.IntN(4) == 0 {
			t.requested = Ms(updated)
		}
		return t
	}
	t.submitted = sub
	switch status {
	case StatusSubmitted, StatusUnderReview, StatusDisputed:
		t.reviewDue = future()
	case StatusActionRequired:
		d := future()
		t.infoDue = d
		t.timers = append(t.timers, seedTimer{TimerInfoDeadline, d, d})
	case StatusConsent:
		d := future()
		t.consentDue = d
		t.timers = append(t.timers, seedTimer{TimerConsentDeadline, d, d})
	case StatusOfficial:
		t.official = Ms(updated)
	case StatusRejected:
		d := future()
		t.disputeUntil = d
		t.timers = append(t.timers, seedTimer{TimerDisputeClose, d, d})
	case StatusEnded:
		t.official = Ms(updated)
		t.ended = Ms(updated)
	}
	return t
}
