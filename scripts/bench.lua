-- wrk script for scripts/bench.sh: counts responses that are not 200 or do
-- not contain the page's expected text, and (for POST scenarios) walks a list
-- of claim IDs so that no claim is submitted twice.
local expect = os.getenv("BENCH_EXPECT") or ""
local idfile = os.getenv("BENCH_IDS") or ""
local counter = 1
local threads = {}

wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
if os.getenv("BENCH_POST") then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  -- A browser's same-origin form post; the server's CSRF check accepts it.
  wrk.headers["Sec-Fetch-Site"] = "same-origin"
  wrk.body = "version=1"
end

function setup(thread)
  thread:set("id", counter)
  thread:set("nthreads", 0)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  bad = 0
  statuses = {}
  ids = {}
  next_id = 0
  if idfile ~= "" then
    local all = {}
    for line in io.lines(idfile) do table.insert(all, line) end
    -- Threads take interleaved IDs so none is used twice.
    local n = tonumber(os.getenv("BENCH_THREADS") or "2")
    for i = id, #all, n do table.insert(ids, all[i]) end
  end
end

function request()
  if #ids > 0 then
    next_id = next_id + 1
    if next_id > #ids then next_id = #ids end
    local path = string.gsub(wrk.path, "ID0", ids[next_id])
    return wrk.format(nil, path)
  end
  return wrk.format()
end

function response(status, headers, body)
  if status ~= 200 and status ~= 303 then
    statuses[status] = (statuses[status] or 0) + 1
  end
  local ok = (status == 200 or (os.getenv("BENCH_POST") and status == 303))
  if ok and expect ~= "" and not string.find(body, expect, 1, true) then ok = false end
  if not ok then bad = bad + 1 end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("BENCH requests=%d bad=%d rps=%.1f p50=%.3f p99=%.3f\n",
    summary.requests, b, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do io.write(string.format("BENCH status %d x%d\n", code, n)) end
  end
end
