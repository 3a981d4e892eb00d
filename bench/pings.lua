-- wrk script for the `pings` scenario (bench/pings.py):
--
--   wrk -t T -c C -d SECONDS+TAIL -s bench/pings.lua http://127.0.0.1:PORT -- TOKENS SECONDS SEED [close]
--
-- Every request is a ping of one of the heartbeats whose UUIDs are in the file
-- TOKENS (one a line), chosen at random per request (seeded: SEED + thread):
-- 1 in 20 /start, 1 in 20 /fail, the rest plain success; 1 in 4 a POST with a
-- small text body, the rest GET. With `close`, every request says
-- `Connection: close`: the daemon closes the connection after its answer and
-- wrk opens a new one for the next ping (a ping per connection, as curl from
-- cron makes them; connect and teardown are in the measured time).
--
-- Each connection pings for SECONDS from its thread's start, then idles (a
-- long delay() before its next request) until wrk stops at SECONDS+TAIL. So
-- no ping is in flight when wrk ends: every ping sent was answered, and the
-- daemon's rows can be compared with the 2xx answers one for one.
--
-- done() prints one line, "BENCH-JSON {...}", with wrk's summary, the latency
-- percentiles (us) and the per-thread counts of pings sent, 2xx and other
-- answers (`response` sees each status, so 1xx and 3xx count as not 2xx too).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local IDLE_MS = 3600 * 1000
local BODY = "backup done: 1234 files, 56 MiB, 0 errors\n"
local POOL = 4096 -- requests made up front per thread, sent round-robin

local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- The main thread: one Lua state per wrk thread, listed here for done().
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- In each thread's own Lua state.
local pool, next_request, deadline = {}, 0, 0
sent, ok, other = 0, 0, 0

function init(args)
  local file, seconds, seed = args[1], tonumber(args[2]), tonumber(args[3] or "1")
  local headers = {}
  if args[4] == "close" then headers["Connection"] = "close" end
  if file == nil or seconds == nil then
    error("usage: wrk ... -s pings.lua URL -- TOKENS_FILE SECONDS [SEED [close]]")
  end
  local tokens = {}
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  math.randomseed(seed * 1000 + thread_index)
  for i = 1, POOL do
    local path = "/ping/" .. tokens[math.random(#tokens)]
    local action = math.random(20)
    if action == 1 then
      path = path .. "/start"
    elseif action == 2 then
      path = path .. "/fail"
    end
    if math.random(4) == 1 then
      local post = { ["Content-Type"] = "text/plain" }
      for name, value in pairs(headers) do post[name] = value end
      pool[i] = wrk.format("POST", path, post, BODY)
    else
      pool[i] = wrk.format("GET", path, headers)
    end
  end
  deadline = now() + seconds
end

-- Called before every request a connection sends (and only then), so pings
-- are counted here: wrk also calls request() once on its own, to check it.
function delay()
  if now() < deadline then
    sent = sent + 1
    return 0
  end
  return IDLE_MS -- the window is over: this connection sends nothing more
end

function request()
  next_request = next_request % POOL + 1
  return pool[next_request]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s, k, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sent")
    k = k + thread:get("ok")
    o = o + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"sent": %d, "ok": %d, "other": %d, "requests": %d, "duration_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    s, k, o, summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
