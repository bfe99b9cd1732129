#!/usr/bin/env bash
# make bench: measure CPOR Claims on a large database, every figure from one run.
#
# Seeds (or reuses) a `cpor seed --claims N` database, copies it, starts the
# built server on the copy with rate limits raised, drives it with wrk
# (32 connections, a fixed duration per scenario), and prints one line per
# figure: `name value unit`. Needs wrk and sqlite3 (apt-get install wrk sqlite3).
#
#   BENCH_CLAIMS   claims to seed (default 1000000)
#   BENCH_DIR      where the seeded database is kept (default data/bench)
#   BENCH_SECONDS  duration of each load scenario (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

CLAIMS=${BENCH_CLAIMS:-1000000}
DIR=${BENCH_DIR:-data/bench}
SECS=${BENCH_SECONDS:-10}
CONNS=32
THREADS=2
ADDR=127.0.0.1:18080
BIN=$PWD/bin/cpor
SEED_DB=$DIR/seed-$CLAIMS.db
DB=$DIR/run.db

for tool in wrk sqlite3 curl; do
  command -v $tool >/dev/null || { echo "bench needs $tool (apt-get install -y $tool)" >&2; exit 1; }
done
mkdir -p "$DIR"
say() { printf '%s %s %s\n' "$1" "$2" "$3"; }

if [ ! -f "$SEED_DB" ]; then
  echo "# seeding $CLAIMS claims into $SEED_DB" >&2
  start=$(date +%s.%N)
  CPOR_DB=$SEED_DB "$BIN" seed --claims "$CLAIMS" >&2
  say seed_time "$(echo "$(date +%s.%N) - $start" | bc)" s
fi
# A seed made by an older build is brought to the current schema once, so
# start-up below measures starting, not migrating.
CPOR_DB=$SEED_DB "$BIN" migrate >&2
rm -rf "$DB" "$DB-wal" "$DB-shm" "$DIR/mail" # the last run's database and its delivered .eml files
cp "$SEED_DB" "$DB"
sync # the copy's write-back must not run during the measurements
now_ms=$(($(date +%s%N) / 1000000))

# Fixtures, prepared on the copy before the server starts.
# Contoso Partners (organisation 1) holds a tenth of all claims.
CLAIM_ID=$(sqlite3 "$DB" "SELECT id FROM claims WHERE organisation_id = 1 AND status = 'official' ORDER BY id LIMIT 1")
# A deep keyset page: the cursor of the 5,000th official claim in list order.
DEEP=$(sqlite3 "$DB" "SELECT updated_at || '.' || id FROM claims WHERE organisation_id = 1 AND status = 'official' ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET 5000")
# A customer link: a known token whose hash is stored for a claim in its consent period.
TOKEN=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
CONSENT_ID=$(sqlite3 "$DB" "SELECT id FROM claims WHERE status = 'consent' ORDER BY id LIMIT 1")
sqlite3 "$DB" "INSERT INTO consent_links (claim_id, email, name, language, source, token_hash, created_at)
  VALUES ($CONSENT_ID, 'admin0@bench.example', 'Admin', 'en', 'directory', X'$HASH', $now_ms)"
# Drafts to submit: Contoso's drafts, each given a proof-of-execution file.
sqlite3 "$DB" "INSERT INTO claim_files (claim_id, name, content_type, size, sha256, created_at)
  SELECT id, 'poe.pdf', 'application/pdf', 10, 'bench', $now_ms FROM claims c WHERE organisation_id = 1 AND status = 'editing'
  AND NOT EXISTS (SELECT 1 FROM claim_files f WHERE f.claim_id = c.id);
  INSERT INTO file_blobs (file_id, data) SELECT id, X'255044462D' FROM claim_files WHERE sha256 = 'bench';"
sqlite3 "$DB" "SELECT id FROM claims WHERE organisation_id = 1 AND status = 'editing' ORDER BY id" > "$DIR/drafts.txt"
DRAFTS=$(wc -l < "$DIR/drafts.txt")

export CPOR_DB=$DB CPOR_ADDR=$ADDR CPOR_PUBLIC_URL=http://$ADDR
export CPOR_SESSION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CPOR_RATE_LOGIN_ACCOUNT=1000000 CPOR_RATE_LOGIN_ADDRESS=1000000 CPOR_RATE_LINK_PER_MINUTE=100000000
echo "# rate limits raised for the run: CPOR_RATE_LOGIN_ACCOUNT=$CPOR_RATE_LOGIN_ACCOUNT CPOR_RATE_LOGIN_ADDRESS=$CPOR_RATE_LOGIN_ADDRESS CPOR_RATE_LINK_PER_MINUTE=$CPOR_RATE_LINK_PER_MINUTE" >&2

PID=
start_server() {
  local t0 t1
  t0=$(date +%s%N)
  "$BIN" serve --migrate > "$DIR/server.out" 2> "$DIR/server.log" &
  PID=$!
  until curl -sf "http://$ADDR/healthz" >/dev/null 2>&1; do
    kill -0 "$PID" 2>/dev/null || { echo "server did not start:" >&2; tail -5 "$DIR/server.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}
stop_server() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap stop_server EXIT
cpu_ticks() { awk '{print $14 + $15}' /proc/$PID/stat; } # user + system time, in clock ticks
CLK_TCK=$(getconf CLK_TCK)
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }
hwm_kb() { awk '/^VmHWM/ {print $2}' /proc/$PID/status; }

# settle: wait until the worker has nothing due and the outbox is delivered,
# so a scenario is not measured beside the previous one's background work
# (deadlines that came due since seeding, the submissions' emails).
settle() {
  local now; now=$(($(date +%s%N) / 1000000))
  until [ "$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM timers WHERE done_at IS NULL AND due_at <= $now)
      + (SELECT count(*) FROM outbox WHERE state = 'queued' AND next_attempt_at <= $now)")" = 0 ]; do sleep 0.2; done
}

start_server
say startup_time "$STARTUP_MS" ms
settle

login() { # email → cookie header value
  local jar; jar=$(mktemp)
  local tok
  tok=$(curl -s -c "$jar" -b "$jar" "http://$ADDR/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "email=$1" --data-urlencode "password=demo-password-1" \
    --data-urlencode "_csrf=$tok" "http://$ADDR/login"
  awk '$6 == "cpor_session" {print "cpor_session=" $7}' "$jar"
  rm -f "$jar"
}
ADMIN=$(login admin@contoso-partner.test)
REVIEWER=$(login reviewer@program.test)

HEALTHZ_RPS=
run() { # name path cookie expected [extra env]
  local name=$1 path=$2 cookie=$3 expect=$4 out
  out=$(env BENCH_COOKIE="$cookie" BENCH_EXPECT="$expect" BENCH_THREADS=$THREADS ${BENCH_POST:+BENCH_POST=1} ${BENCH_IDS:+BENCH_IDS=$BENCH_IDS} \
    wrk -t$THREADS -c$CONNS -d${SECS}s --latency -s scripts/bench.lua "http://$ADDR$path")
  local line requests bad rps p50 p99 good
  line=$(grep '^BENCH requests' <<<"$out")
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  bad=$(sed 's/.*bad=\([0-9]*\).*/\1/' <<<"$line")
  rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$line")
  p50=$(sed 's/.*p50=\([0-9.]*\).*/\1/' <<<"$line")
  p99=$(sed 's/.*p99=\([0-9.]*\).*/\1/' <<<"$line")
  good=$(echo "scale=1; $rps * ($requests - $bad) / $requests" | bc)
  grep '^BENCH status' <<<"$out" | sed "s/^BENCH status/${name}_non2xx/" || true
  say "${name}_rps" "$good" req/s
  say "${name}_p50" "$p50" ms
  say "${name}_p99" "$p99" ms
  [ "$bad" = 0 ] || say "${name}_bad_responses" "$bad" responses
  if [ -n "$HEALTHZ_RPS" ]; then say "${name}_ratio_to_healthz" "$(echo "scale=3; $good / $HEALTHZ_RPS" | bc)" x; fi
  if [ "$name" = healthz ]; then HEALTHZ_RPS=$good; fi
}

run healthz /healthz "" ok
run list_first "/claims?status=official" "$ADMIN" 'data-testid="claims"'
run list_deep "/claims?status=official&after=$DEEP" "$ADMIN" 'data-testid="claims"'
run claim_detail "/claims/$CLAIM_ID" "$ADMIN" "CA-$(printf %06d "$CLAIM_ID")"
run dashboard /dashboard "$ADMIN" 'class="tiles"'
run review_queue /review "$REVIEWER" 'data-testid="queue"'
run customer_link "/c/$TOKEN" "" 'Accept association'
say server_peak_rss "$(( $(hwm_kb) / 1024 ))" MB

# Submission: each request submits another seeded draft (never the same twice).
# Three seconds, so Contoso's ~10,000 drafts last up to 3,300 claims/s: a
# window that used them up would cap the figure (printed if it happens).
before=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM claim_history), (SELECT count(*) FROM outbox)")
cpu0=$(cpu_ticks)
sub_start=$(($(date +%s%N) / 1000000))
BENCH_POST=1 BENCH_IDS=$DIR/drafts.txt SECS=$(( SECS < 3 ? SECS : 3 )) run submit_requests "/claims/ID0/actions/submit" "$ADMIN" ""
sub_end=$(($(date +%s%N) / 1000000))
cpu1=$(cpu_ticks)
# The drafts were all in Editing before the run: those now Submitted were submitted by it.
submitted=$(sqlite3 "$DB" "SELECT count(*) FROM claims WHERE status = 'submitted' AND id IN ($(paste -sd, "$DIR/drafts.txt"))")
[ "$submitted" -lt "$DRAFTS" ] || say submit_drafts_used_up "$DRAFTS" claims
# The server's CPU time (all threads: requests, writer, mail delivery, checkpoints) per claim:
# steadier than the rate on a machine whose speed varies from run to run.
say submission_server_cpu "$(( (cpu1 - cpu0) * 1000000 / CLK_TCK / submitted ))" us/claim
after=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM claim_history), (SELECT count(*) FROM outbox)")
say submit_drafts_available "$DRAFTS" claims
say claims_submitted "$submitted" claims
say submission_rate "$(echo "scale=1; $submitted * 1000 / ($sub_end - $sub_start)" | bc)" claims/s
say submission_history_rows "$(( ${after%|*} - ${before%|*} ))" rows
say submission_outbox_rows "$(( ${after#*|} - ${before#*|} ))" rows

# CSV export of Contoso's claims (about a tenth of all): rows/s and RSS growth.
settle
echo 5 > /proc/$PID/clear_refs 2>/dev/null || true
rss0=$(rss_kb)
cpu0=$(cpu_ticks)
t0=$(date +%s%N)
rows=$(curl -s -H "Cookie: $ADMIN" "http://$ADDR/claims/export.csv" | wc -l)
t1=$(date +%s%N)
cpu1=$(cpu_ticks)
rows=$((rows - 1))
say export_rows "$rows" rows
say export_rate "$(echo "scale=0; $rows * 1000000000 / ($t1 - $t0)" | bc)" rows/s
say export_server_cpu "$(( (cpu1 - cpu0) * 1000000000 / CLK_TCK / rows ))" ns/row
say export_rss_growth "$(( ($(hwm_kb) - rss0) / 1024 ))" MB
say server_peak_rss_after_export "$(( $(hwm_kb) / 1024 ))" MB

# The worker on due deadlines: stop, make 100,000 deadlines due, start, time the catch-up.
stop_server
due=$((now_ms - 1000))
sqlite3 "$DB" "
  CREATE TEMP TABLE pick AS SELECT id, status FROM claims WHERE status IN ('consent','action_required') ORDER BY id LIMIT 100000;
  UPDATE claims SET consent_due_at = $due WHERE id IN (SELECT id FROM pick WHERE status = 'consent');
  UPDATE claims SET info_due_at = $due WHERE id IN (SELECT id FROM pick WHERE status = 'action_required');
  UPDATE timers SET done_at = $due WHERE done_at IS NULL AND claim_id IN (SELECT id FROM pick);
  INSERT INTO timers (claim_id, kind, due_at, deadline_at)
    SELECT id, CASE status WHEN 'consent' THEN 'consent_deadline' ELSE 'info_deadline' END, $due, $due FROM pick;"
DUE=$(sqlite3 "$DB" "SELECT count(*) FROM timers WHERE done_at IS NULL AND due_at <= $due")
before=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM claim_history), (SELECT count(*) FROM outbox)")
start_server
say startup_time_with_backlog "$STARTUP_MS" ms
w0=$(date +%s%N)
cpu0=$(cpu_ticks)
wal_peak=0 # the WAL's largest size during the catch-up, sampled with each poll
while [ "$(sqlite3 "$DB" "SELECT count(*) FROM timers WHERE done_at IS NULL AND due_at <= $due")" != 0 ]; do
  w=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0); [ "$w" -le "$wal_peak" ] || wal_peak=$w
  sleep 0.1
done
w1=$(date +%s%N)
cpu1=$(cpu_ticks)
# What the catch-up wrote through write(2): the WAL, and the checkpoints that copy it into the database.
wchar=$(awk '/^wchar/ {print $2}' /proc/$PID/io)
after=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM claim_history), (SELECT count(*) FROM outbox)")
say worker_due_timers "$DUE" timers
say worker_time "$(echo "scale=2; ($w1 - $w0) / 1000000000" | bc)" s
say worker_rate "$(echo "scale=0; $DUE * 1000000000 / ($w1 - $w0)" | bc)" timers/s
say worker_history_rows "$(( ${after%|*} - ${before%|*} ))" rows
say worker_outbox_rows "$(( ${after#*|} - ${before#*|} ))" rows
say worker_server_cpu "$(( (cpu1 - cpu0) * 1000000 / CLK_TCK / DUE ))" us/timer
say worker_written "$(( wchar / 1048576 ))" MB
say worker_written_per_timer "$(( wchar / DUE / 1024 ))" KB
say server_peak_rss_worker "$(( $(hwm_kb) / 1024 ))" MB
say worker_wal_peak "$(( wal_peak / 1024 / 1024 ))" MB
# The WAL while the server still runs (a clean stop checkpoints and removes it).
say wal_size "$(( $(stat -c %s "$DB-wal" 2>/dev/null || echo 0) / 1024 / 1024 ))" MB
# Not a clean stop: the worker would first deliver the 200,000 emails the deadlines queued.
kill -KILL "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
trap - EXIT
