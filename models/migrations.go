package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the ordered, append-only list of schema changes. Entry i moves
// the schema from version i to i+1. Never edit an entry that has shipped; add
// a new one. Each runs in its own transaction together with its version row.
var migrations = []string{
	// 1: foundation — organisations, locations, users, sessions, reference
	// data, tenant directory, holidays, audit log.
	`
CREATE TABLE organisations (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE COLLATE NOCASE,
	language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en','hu')),
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE TABLE programs (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	solution_area TEXT NOT NULL CHECK (solution_area IN ('m365','bizapps')),
	retired INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE activities (
	id INTEGER PRIMARY KEY,
	solution_area TEXT NOT NULL CHECK (solution_area IN ('m365','bizapps')),
	name TEXT NOT NULL,
	earns_incentive INTEGER NOT NULL DEFAULT 1,
	retired INTEGER NOT NULL DEFAULT 0,
	UNIQUE (solution_area, name)
);
CREATE TABLE products (
	id INTEGER PRIMARY KEY,
	solution_area TEXT NOT NULL CHECK (solution_area IN ('m365','bizapps')),
	name TEXT NOT NULL,
	granularity TEXT NOT NULL CHECK (granularity IN ('workload','subscription')),
	retired INTEGER NOT NULL DEFAULT 0,
	UNIQUE (solution_area, name)
);
CREATE TABLE locations (
	id INTEGER PRIMARY KEY,
	organisation_id INTEGER NOT NULL REFERENCES organisations(id),
	mpn_id TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX locations_organisation ON locations(organisation_id);
CREATE TABLE location_programs (
	location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
	program_id INTEGER NOT NULL REFERENCES programs(id),
	PRIMARY KEY (location_id, program_id)
) WITHOUT ROWID;
CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL CHECK (role IN ('incentives_admin','incentives_user','reviewer','operator')),
	organisation_id INTEGER REFERENCES organisations(id),
	language TEXT NOT NULL DEFAULT '' CHECK (language IN ('','en','hu')),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	CHECK ((role IN ('incentives_admin','incentives_user')) = (organisation_id IS NOT NULL))
);
CREATE INDEX users_organisation ON users(organisation_id, role);
CREATE TABLE user_locations (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, location_id)
) WITHOUT ROWID;
CREATE TABLE sessions (
	id_hash BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	seen_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	ip TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE tenants (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE tenant_domains (
	domain TEXT PRIMARY KEY COLLATE NOCASE,
	tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tenant_domains_tenant ON tenant_domains(tenant_id);
CREATE TABLE tenant_contacts (
	id INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL COLLATE NOCASE,
	language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en','hu')),
	UNIQUE (tenant_id, email)
);
CREATE INDEX tenant_contacts_email ON tenant_contacts(email);
CREATE TABLE subscriptions (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products(id),
	channel TEXT NOT NULL CHECK (channel IN ('VL','Web Direct','CSP')),
	state TEXT NOT NULL CHECK (state IN ('provisioning','active','grace','ended')),
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX subscriptions_tenant ON subscriptions(tenant_id);
CREATE TABLE holidays (
	day TEXT PRIMARY KEY,
	name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	actor_id INTEGER,
	actor TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	object TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_kind ON audit_log(kind, at);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);

INSERT INTO programs (id, name, solution_area) VALUES
	(1, 'OSA Sell', 'bizapps'),
	(2, 'OSU – Microsoft 365', 'm365'),
	(3, 'OSU – Business Applications', 'bizapps');
INSERT INTO activities (solution_area, name, earns_incentive) VALUES
	('m365', 'Usage', 1),
	('bizapps', 'Presales', 1),
	('bizapps', 'Usage', 1),
	('bizapps', 'Revenue association', 0);
INSERT INTO products (solution_area, name, granularity) VALUES
	('m365', 'Exchange Online', 'workload'),
	('m365', 'SharePoint Online', 'workload'),
	('m365', 'OneDrive for Business', 'workload'),
	('m365', 'Microsoft Teams', 'workload'),
	('m365', 'Microsoft 365 Apps', 'workload'),
	('m365', 'Yammer', 'workload'),
	('m365', 'Microsoft Intune', 'workload'),
	('m365', 'Azure AD Premium', 'workload'),
	('m365', 'Azure Information Protection', 'workload'),
	('m365', 'Windows Enterprise', 'workload'),
	('m365', 'Microsoft Defender', 'workload'),
	('bizapps', 'Dynamics 365 Sales', 'subscription'),
	('bizapps', 'Customer Service', 'subscription'),
	('bizapps', 'Field Service', 'subscription'),
	('bizapps', 'Marketing', 'subscription'),
	('bizapps', 'Finance', 'subscription'),
	('bizapps', 'Supply Chain Management', 'subscription'),
	('bizapps', 'Commerce', 'subscription'),
	('bizapps', 'Human Resources', 'subscription'),
	('bizapps', 'Project Operations', 'subscription'),
	('bizapps', 'Business Central', 'subscription'),
	('bizapps', 'Power Apps', 'subscription'),
	('bizapps', 'Power Automate', 'subscription');
`,
	// 2: mail outbox and single-use account links (password reset, invitation).
	`
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	to_email TEXT NOT NULL,
	to_name TEXT NOT NULL DEFAULT '',
	language TEXT NOT NULL,
	subject TEXT NOT NULL,
	text_body TEXT NOT NULL,
	html_body TEXT NOT NULL,
	secret TEXT NOT NULL DEFAULT '',
	claim_id INTEGER,
	state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','retrying','sent','failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('queued','retrying');
CREATE INDEX outbox_created ON outbox(created_at);
CREATE INDEX outbox_claim ON outbox(claim_id) WHERE claim_id IS NOT NULL;
CREATE TABLE account_tokens (
	hash BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL CHECK (purpose IN ('reset','invite')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX account_tokens_user ON account_tokens(user_id);
`,
	// 3: claims — claims, lines with the three partial unique indexes of
	// SPEC §4.3, proof-of-execution files, history, customer consent links
	// and timers.
	`
CREATE TABLE claims (
	id INTEGER PRIMARY KEY,
	organisation_id INTEGER NOT NULL REFERENCES organisations(id),
	location_id INTEGER NOT NULL REFERENCES locations(id),
	creator_id INTEGER NOT NULL REFERENCES users(id),
	program_id INTEGER NOT NULL REFERENCES programs(id),
	activity_id INTEGER NOT NULL REFERENCES activities(id),
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	domain TEXT NOT NULL,
	name TEXT NOT NULL,
	customer_contact_name TEXT NOT NULL DEFAULT '',
	customer_contact_title TEXT NOT NULL DEFAULT '',
	customer_contact_email TEXT NOT NULL DEFAULT '',
	partner_contact_name TEXT NOT NULL DEFAULT '',
	partner_contact_email TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('editing','submitted','under_review','action_required','consent','official','rejected','disputed','withdrawn','ended')),
	reason TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	info_reasons TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	status_at INTEGER NOT NULL,
	submission_requested_at INTEGER,
	submitted_at INTEGER,
	review_due_at INTEGER,
	info_due_at INTEGER,
	consent_due_at INTEGER,
	dispute_until INTEGER,
	official_at INTEGER,
	ended_at INTEGER,
	disputed INTEGER NOT NULL DEFAULT 0,
	customer_mail_failed INTEGER NOT NULL DEFAULT 0,
	customer_decision TEXT NOT NULL DEFAULT '',
	customer_decided_by TEXT NOT NULL DEFAULT '',
	customer_decided_at INTEGER
);
CREATE INDEX claims_org_updated ON claims(organisation_id, updated_at DESC, id DESC);
CREATE INDEX claims_org_status_updated ON claims(organisation_id, status, updated_at DESC, id DESC);
CREATE INDEX claims_location_updated ON claims(location_id, updated_at DESC, id DESC);
CREATE INDEX claims_location_status_updated ON claims(location_id, status, updated_at DESC, id DESC);
CREATE INDEX claims_review_queue ON claims(status, status_at, id) WHERE status IN ('submitted','under_review','action_required','disputed','consent');
CREATE INDEX claims_tenant ON claims(tenant_id);
CREATE INDEX claims_domain ON claims(domain);

CREATE TABLE claim_lines (
	id INTEGER PRIMARY KEY,
	claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
	organisation_id INTEGER NOT NULL REFERENCES organisations(id),
	product_id INTEGER NOT NULL REFERENCES products(id),
	subscription_id TEXT,
	key TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('editing','submitted','under_review','action_required','consent','official','rejected','disputed','withdrawn','ended')),
	end_reason TEXT NOT NULL DEFAULT '',
	ended_at INTEGER
);
CREATE INDEX claim_lines_claim ON claim_lines(claim_id);
CREATE INDEX claim_lines_key ON claim_lines(key, state);
CREATE INDEX claim_lines_subscription ON claim_lines(subscription_id) WHERE subscription_id IS NOT NULL;
-- One organisation cannot claim a key twice while a line on it is open.
CREATE UNIQUE INDEX claim_lines_open_per_org ON claim_lines(organisation_id, key)
	WHERE state IN ('editing','submitted','under_review','action_required','disputed','consent','official');
-- At most one official line per key, and at most one line per key in its consent period.
CREATE UNIQUE INDEX claim_lines_one_official ON claim_lines(key) WHERE state = 'official';
CREATE UNIQUE INDEX claim_lines_one_consent ON claim_lines(key) WHERE state = 'consent';

CREATE TABLE claim_files (
	id INTEGER PRIMARY KEY,
	claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
	uploader_id INTEGER REFERENCES users(id),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX claim_files_claim ON claim_files(claim_id, id);
-- Blobs apart from their metadata, so listing files never reads file bodies.
CREATE TABLE file_blobs (
	file_id INTEGER PRIMARY KEY REFERENCES claim_files(id) ON DELETE CASCADE,
	data BLOB NOT NULL
);

CREATE TABLE claim_history (
	id INTEGER PRIMARY KEY,
	claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
	at INTEGER NOT NULL,
	actor_id INTEGER,
	actor TEXT NOT NULL,
	actor_role TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX claim_history_claim ON claim_history(claim_id, id);

CREATE TABLE consent_links (
	id INTEGER PRIMARY KEY,
	claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	language TEXT NOT NULL,
	source TEXT NOT NULL CHECK (source IN ('directory','partner')),
	token_hash BLOB NOT NULL UNIQUE,
	outbox_id INTEGER,
	created_at INTEGER NOT NULL,
	replaced_at INTEGER
);
CREATE INDEX consent_links_claim ON consent_links(claim_id);

CREATE TABLE timers (
	id INTEGER PRIMARY KEY,
	claim_id INTEGER REFERENCES claims(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	due_at INTEGER NOT NULL,
	deadline_at INTEGER,
	done_at INTEGER
);
CREATE INDEX timers_due ON timers(due_at) WHERE done_at IS NULL;
CREATE INDEX timers_claim ON timers(claim_id) WHERE done_at IS NULL;
`,
	// 4: following claims — the next deadline a partner faces, derived from
	// the status (never stored twice), and the indexes behind the claim
	// list's sorts, the dashboard and the review queue (see docs/decisions.md).
	`
ALTER TABLE claims ADD COLUMN next_deadline INTEGER GENERATED ALWAYS AS (CASE
	WHEN status = 'consent' THEN consent_due_at
	WHEN status = 'action_required' THEN info_due_at
	WHEN status = 'rejected' AND disputed = 0 THEN dispute_until
END) VIRTUAL;
CREATE INDEX claims_org_created ON claims(organisation_id, created_at DESC, id DESC);
CREATE INDEX claims_org_deadline ON claims(organisation_id, next_deadline, id) WHERE next_deadline IS NOT NULL;
CREATE INDEX claims_location_created ON claims(location_id, created_at DESC, id DESC);
CREATE INDEX claims_location_deadline ON claims(location_id, next_deadline, id) WHERE next_deadline IS NOT NULL;
CREATE INDEX claims_org_requested ON claims(organisation_id, submission_requested_at) WHERE submission_requested_at IS NOT NULL;
CREATE INDEX claims_mail_failed ON claims(status_at, id) WHERE customer_mail_failed = 1;
CREATE INDEX claims_review_due ON claims(review_due_at, id) WHERE status IN ('submitted','under_review','disputed');
CREATE INDEX claims_updated ON claims(updated_at DESC, id DESC);
`,
	// 5: counts kept by triggers (dashboard and queue counts without
	// scanning), the queue's order index, and per-organisation search indexes.
	`
CREATE TABLE claim_counts (
	location_id INTEGER NOT NULL,
	status TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (location_id, status)
) WITHOUT ROWID;
INSERT INTO claim_counts (location_id, status, n) SELECT location_id, status, count(*) FROM claims GROUP BY location_id, status;
CREATE TRIGGER claims_count_insert AFTER INSERT ON claims BEGIN
	INSERT INTO claim_counts (location_id, status, n) VALUES (NEW.location_id, NEW.status, 1)
		ON CONFLICT (location_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER claims_count_delete AFTER DELETE ON claims BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
END;
CREATE TRIGGER claims_count_update AFTER UPDATE OF status, location_id ON claims
	WHEN OLD.status <> NEW.status OR OLD.location_id <> NEW.location_id BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
	INSERT INTO claim_counts (location_id, status, n) VALUES (NEW.location_id, NEW.status, 1)
		ON CONFLICT (location_id, status) DO UPDATE SET n = n + 1;
END;
CREATE INDEX claims_queue_order ON claims(status_at, id) WHERE status IN ('submitted','under_review','action_required','disputed','consent');
CREATE INDEX claims_org_domain ON claims(organisation_id, domain);
CREATE INDEX claims_org_tenant ON claims(organisation_id, tenant_id);
`,
	// 6: numbers of deleted drafts, so a claim number is never given twice.
	`
CREATE TABLE deleted_claims (
	id INTEGER PRIMARY KEY,
	deleted_at INTEGER NOT NULL
);
`,
	// 7: fewer indexes on claims, measured: every status change rewrote
	// about ten of them. Scoped users' lists use the organisation indexes
	// and filter by location; the operator's list of all claims is newest first by number.
	`
DROP INDEX claims_updated;
DROP INDEX claims_location_updated;
DROP INDEX claims_location_status_updated;
DROP INDEX claims_location_created;
DROP INDEX claims_location_deadline;
`,
	// 8: versions that caches in the server check with one cheap query:
	// "auth" moves whenever a session ends or a person, organisation,
	// location or scope changes; "ref" whenever reference data changes.
	`
CREATE TABLE cache_versions (
	name TEXT PRIMARY KEY,
	v INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO cache_versions (name, v) VALUES ('auth', 0), ('ref', 0);
CREATE TRIGGER cache_sessions_delete AFTER DELETE ON sessions BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_users_insert AFTER INSERT ON users BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_users_update AFTER UPDATE ON users BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_users_delete AFTER DELETE ON users BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_organisations_insert AFTER INSERT ON organisations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_organisations_update AFTER UPDATE ON organisations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_organisations_delete AFTER DELETE ON organisations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_user_locations_insert AFTER INSERT ON user_locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_user_locations_update AFTER UPDATE ON user_locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_user_locations_delete AFTER DELETE ON user_locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_locations_insert AFTER INSERT ON locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_locations_update AFTER UPDATE ON locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_locations_delete AFTER DELETE ON locations BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_location_programs_insert AFTER INSERT ON location_programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_location_programs_update AFTER UPDATE ON location_programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_location_programs_delete AFTER DELETE ON location_programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'auth'; END;
CREATE TRIGGER cache_programs_insert AFTER INSERT ON programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_programs_update AFTER UPDATE ON programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_programs_delete AFTER DELETE ON programs BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_activities_insert AFTER INSERT ON activities BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_activities_update AFTER UPDATE ON activities BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_activities_delete AFTER DELETE ON activities BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_products_insert AFTER INSERT ON products BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_products_update AFTER UPDATE ON products BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
CREATE TRIGGER cache_products_delete AFTER DELETE ON products BEGIN UPDATE cache_versions SET v = v + 1 WHERE name = 'ref'; END;
`,
	// 9: platform-wide counts by status, kept by the same triggers: the
	// review queue's counts read five rows instead of summing thousands.
	`
CREATE TABLE claim_status_counts (
	status TEXT PRIMARY KEY,
	n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO claim_status_counts (status, n) SELECT status, count(*) FROM claims GROUP BY status;
DROP TRIGGER claims_count_insert;
DROP TRIGGER claims_count_delete;
DROP TRIGGER claims_count_update;
CREATE TRIGGER claims_count_insert AFTER INSERT ON claims BEGIN
	INSERT INTO claim_counts (location_id, status, n) VALUES (NEW.location_id, NEW.status, 1)
		ON CONFLICT (location_id, status) DO UPDATE SET n = n + 1;
	INSERT INTO claim_status_counts (status, n) VALUES (NEW.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER claims_count_delete AFTER DELETE ON claims BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
	UPDATE claim_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER claims_count_update AFTER UPDATE OF status, location_id ON claims
	WHEN OLD.status <> NEW.status OR OLD.location_id <> NEW.location_id BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
	INSERT INTO claim_counts (location_id, status, n) VALUES (NEW.location_id, NEW.status, 1)
		ON CONFLICT (location_id, status) DO UPDATE SET n = n + 1;
	UPDATE claim_status_counts SET n = n - 1 WHERE status = OLD.status;
	INSERT INTO claim_status_counts (status, n) VALUES (NEW.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE INDEX claims_org_requested_drafts ON claims(organisation_id, location_id) WHERE status = 'editing' AND submission_requested_at IS NOT NULL;
DROP INDEX claims_org_requested;
`,
	// 10: covering indexes for the competing check, ordered so a lookup
	// seeks the claim or the key and reads the line's organisation and state
	// from the index (a state IN (...) seek multiplied the probes).
	`
CREATE INDEX claim_lines_claim_cover ON claim_lines(claim_id, key, organisation_id, state);
CREATE INDEX claim_lines_key_cover ON claim_lines(key, organisation_id, state);
DROP INDEX claim_lines_claim;
DROP INDEX claim_lines_key;
`,
	// 11: the count triggers as plain UPDATEs: a row for every location and
	// status exists from the start (an upsert inside a trigger cost 80 µs a
	// status change, measured; an UPDATE costs a few).
	`
CREATE TEMP TABLE all_statuses (status TEXT);
INSERT INTO all_statuses (status) VALUES ('editing'),('submitted'),('under_review'),('action_required'),('consent'),('official'),('rejected'),('disputed'),('withdrawn'),('ended');
INSERT OR IGNORE INTO claim_counts (location_id, status, n) SELECT l.id, s.status, 0 FROM locations l CROSS JOIN all_statuses s;
INSERT OR IGNORE INTO claim_status_counts (status, n) SELECT status, 0 FROM all_statuses;
DROP TABLE all_statuses;
CREATE TRIGGER locations_counts AFTER INSERT ON locations BEGIN
	INSERT OR IGNORE INTO claim_counts (location_id, status, n) VALUES
		(NEW.id, 'editing', 0), (NEW.id, 'submitted', 0), (NEW.id, 'under_review', 0), (NEW.id, 'action_required', 0),
		(NEW.id, 'consent', 0), (NEW.id, 'official', 0), (NEW.id, 'rejected', 0), (NEW.id, 'disputed', 0),
		(NEW.id, 'withdrawn', 0), (NEW.id, 'ended', 0);
END;
DROP TRIGGER claims_count_insert;
DROP TRIGGER claims_count_delete;
DROP TRIGGER claims_count_update;
CREATE TRIGGER claims_count_insert AFTER INSERT ON claims BEGIN
	UPDATE claim_counts SET n = n + 1 WHERE location_id = NEW.location_id AND status = NEW.status;
	UPDATE claim_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER claims_count_delete AFTER DELETE ON claims BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
	UPDATE claim_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER claims_count_update AFTER UPDATE OF status, location_id ON claims
	WHEN OLD.status <> NEW.status OR OLD.location_id <> NEW.location_id BEGIN
	UPDATE claim_counts SET n = n - 1 WHERE location_id = OLD.location_id AND status = OLD.status;
	UPDATE claim_counts SET n = n + 1 WHERE location_id = NEW.location_id AND status = NEW.status;
	UPDATE claim_status_counts SET n = n - 1 WHERE status = OLD.status;
	UPDATE claim_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
`,
	// 12: claims.key_shared — set once another organisation has a line on
	// one of the claim's keys, never cleared. Nearly every key has one
	// organisation, so the competing check (two probes of claim_lines per
	// claim, two thirds of the list's and the export's SQL time) runs only
	// for the few claims where it can be true. A line's key and organisation
	// never change after insert, so one trigger keeps it.
	`
ALTER TABLE claims ADD COLUMN key_shared INTEGER NOT NULL DEFAULT 0;
UPDATE claims SET key_shared = 1 WHERE id IN (SELECT me.claim_id FROM claim_lines me
	JOIN claim_lines x ON x.key = me.key AND x.organisation_id <> me.organisation_id);
CREATE TRIGGER claim_lines_key_shared AFTER INSERT ON claim_lines
	WHEN EXISTS (SELECT 1 FROM claim_lines x WHERE x.key = NEW.key AND x.organisation_id <> NEW.organisation_id) BEGIN
	UPDATE claims SET key_shared = 1 WHERE key_shared = 0 AND id IN (SELECT claim_id FROM claim_lines WHERE key = NEW.key);
END;
`,
	// 13: a "deadlines" cache version that moves whenever a claim's next
	// deadline or location changes, or a claim with a deadline comes or goes:
	// the dashboard's "deadlines this week" is then counted once, not per view.
	// (next_deadline is generated: the trigger watches the columns it is made of.)
	`
INSERT INTO cache_versions (name, v) VALUES ('deadlines', 0);
CREATE TRIGGER cache_deadlines_insert AFTER INSERT ON claims WHEN NEW.next_deadline IS NOT NULL BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'deadlines';
END;
CREATE TRIGGER cache_deadlines_delete AFTER DELETE ON claims WHEN OLD.next_deadline IS NOT NULL BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'deadlines';
END;
CREATE TRIGGER cache_deadlines_update AFTER UPDATE OF status, consent_due_at, info_due_at, dispute_until, disputed, location_id ON claims
	WHEN OLD.next_deadline IS NOT NEW.next_deadline OR OLD.location_id <> NEW.location_id BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'deadlines';
END;
`,
	// 14: the "competing" filters read only claims that share a key: the
	// partner list (newest first) and the review queue (oldest first). They
	// scanned an organisation's or the whole queue's claims for the 1 % that can compete.
	`
CREATE INDEX claims_org_shared_updated ON claims(organisation_id, updated_at DESC, id DESC) WHERE key_shared = 1;
CREATE INDEX claims_queue_shared ON claims(status_at, id)
	WHERE key_shared = 1 AND status IN ('submitted','under_review','action_required','disputed','consent');
`,
	// 15: an outbox message is stored as its facts (JSON) and rendered when
	// it is delivered (Store.enqueue explains why).
	`
ALTER TABLE outbox ADD COLUMN data TEXT NOT NULL DEFAULT '';
`,
	// 16: the list's newest-first index carries every column the list and
	// the CSV export read, so reading an organisation's claims in list order
	// walks this index's pages in sequence instead of looking up each
	// claim's row at a random page of the table (the export's statement:
	// 0.40 → 0.13 s for 100,000 claims in the sqlite3 shell). Every change
	// to a claim moves its updated_at, so this entry was rewritten on every
	// write already; it is wider now, not written more often. It holds the
	// columns next_deadline is made of, not next_deadline: SQLite reads a
	// virtual column from the table row even when an index holds it.
	`
DROP INDEX claims_org_updated;
CREATE INDEX claims_org_updated ON claims(organisation_id, updated_at DESC, id DESC,
	name, domain, tenant_id, status, reason, program_id, location_id, created_at,
	consent_due_at, info_due_at, dispute_until, disputed, submission_requested_at, key_shared,
	customer_contact_name, customer_contact_email);
`,
	// 17: an "overdue" cache version that moves whenever a claim enters or
	// leaves the statuses a review is due in, or its review due date
	// changes: the review queue's "overdue" count (thousands of index
	// entries, a third of the queue page's time) is then counted once and
	// kept until the version moves or the next due date passes.
	`
INSERT INTO cache_versions (name, v) VALUES ('overdue', 0);
CREATE TRIGGER cache_overdue_insert AFTER INSERT ON claims WHEN NEW.status IN ('submitted','under_review','disputed') BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'overdue';
END;
CREATE TRIGGER cache_overdue_delete AFTER DELETE ON claims WHEN OLD.status IN ('submitted','under_review','disputed') BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'overdue';
END;
CREATE TRIGGER cache_overdue_update AFTER UPDATE OF status, review_due_at ON claims
	WHEN (OLD.status IN ('submitted','under_review','disputed') OR NEW.status IN ('submitted','under_review','disputed'))
	AND (OLD.status IS NOT NEW.status OR OLD.review_due_at IS NOT NEW.review_due_at) BEGIN
	UPDATE cache_versions SET v = v + 1 WHERE name = 'overdue';
END;
`,
}

// LatestSchema is the version a fully migrated database has.
func LatestSchema() int { return len(migrations) }

// SchemaVersion returns the version recorded in the database (0 when empty).
func (db *DB) SchemaVersion() (int, error) {
	var n int
	err := db.R.Raw(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).Scan(&n).Error
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = db.R.Raw(`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v).Error
	return v, err
}

// Migrate applies every pending migration, each in its own transaction.
// It returns the versions it applied.
func (db *DB) Migrate() ([]int, error) {
	if err := db.W.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`).Error; err != nil {
		return nil, err
	}
	cur, err := db.SchemaVersion()
	if err != nil {
		return nil, err
	}
	if cur > len(migrations) {
		return nil, fmt.Errorf("database schema version %d is newer than this program knows (%d)", cur, len(migrations))
	}
	var applied []int
	for v := cur + 1; v <= len(migrations); v++ {
		if err := db.applyMigration(v); err != nil {
			return applied, fmt.Errorf("migration %d: %w", v, err)
		}
		applied = append(applied, v)
	}
	return applied, nil
}

// applyMigration runs one multi-statement migration through database/sql:
// GORM's prepared-statement cache would prepare only its first statement.
func (db *DB) applyMigration(v int) error {
	return db.Exclusive(func(conn *sql.Conn) error {
		ctx := context.Background()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, Ms(time.Now())); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// CheckSchema returns an error unless the database is at the latest version.
func (db *DB) CheckSchema() error {
	v, err := db.SchemaVersion()
	if err != nil {
		return err
	}
	if v != len(migrations) {
		return fmt.Errorf("database schema is at version %d, this program needs %d: run `cpor migrate` (or serve with --migrate)", v, len(migrations))
	}
	return nil
}
