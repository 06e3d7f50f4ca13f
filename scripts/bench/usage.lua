-- wrk script: POST .../usage with a unique idempotency key per request,
-- spread over the bench workspaces, one of them capped (or over BENCH_WORKSPACES,
-- slugs separated by commas: bench-hot alone for the hot workspace). Counts answers.
-- thread_id and statuses are globals: wrk's thread:set and thread:get reach only globals.
counter, thread_id, statuses = 0, 0, {}
local threads = {}
local run = os.getenv("BENCH_RUN") or "run"
local paths = {}
for ws in string.gmatch(os.getenv("BENCH_WORKSPACES")
    or "bench-0,bench-1,bench-2,bench-3,bench-4,bench-5,bench-6,bench-7,bench-capped", "[^,]+") do
  table.insert(paths, "/api/workspaces/" .. ws .. "/usage")
end

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "demo-metering-token")
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local body = string.format('{"credits":"0.25","idempotency_key":"%s-%d-%d"}', run, thread_id, counter)
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%d": %d', k, v)) end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
