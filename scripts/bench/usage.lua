-- wrk script: POST .../usage with a unique idempotency key per request,
-- spread over the bench workspaces, one of them capped. Counts answers.
-- thread_id and statuses are globals: wrk's thread:set and thread:get reach only globals.
counter, thread_id, statuses = 0, 0, {}
local threads = {}
local run = os.getenv("BENCH_RUN") or "run"
local workspaces = { "bench-0", "bench-1", "bench-2", "bench-3", "bench-4", "bench-5", "bench-6", "bench-7", "bench-capped" }

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
  local ws = workspaces[(counter % #workspaces) + 1]
  local body = string.format('{"credits":"0.25","idempotency_key":"%s-%d-%d"}', run, thread_id, counter)
  return wrk.format("POST", "/api/workspaces/" .. ws .. "/usage", nil, body)
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
