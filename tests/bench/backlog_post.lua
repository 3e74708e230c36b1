-- wrk script for tests/bench/run-all.sh: POST the backlog benchmark's own
-- studentAssessments bodies to the Ed-Fi double, each with a unique key (the
-- studentAssessmentIdentifier gets a per-thread, per-request prefix), with a
-- bearer token fetched by run-all.sh.
--
-- wrk -t2 -c8 -d15s -s backlog_post.lua https://127.0.0.1:PORT/data/v3/ed-fi/studentAssessments -- TOKEN BODIES.jsonl
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local bodies = {}
local counter = 0

function init(args)
  for line in io.lines(args[2]) do
    bodies[#bodies + 1] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function request()
  counter = counter + 1
  local body = bodies[(counter - 1) % #bodies + 1]
  body = body:gsub('"studentAssessmentIdentifier":"tsk%-', '"studentAssessmentIdentifier":"w' .. tid .. 'n' .. counter .. '-', 1)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("@wrk requests %d duration_us %d non2xx %d connect %d read %d write %d timeout %d p50_us %d p99_us %d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
