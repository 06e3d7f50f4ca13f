-- wrk script: POST /api/usage/batch, BENCH_BATCH records a batch (1,000 unless told),
-- each with a unique idempotency key (run, thread, batch counter, position in the
-- batch). The records go to the eight uncapped bench workspaces in turn, and every
-- BENCH_CAPPED_EVERY-th record (50: 2% of them) to bench-capped, which fills to its
-- $2,000.00 cap and then refuses, so exactness at the cap is exercised while most
-- records are accepted. Three features in turn.
--
-- Cheap per request: the body is cut once into fixed pieces with a slot for the key
-- prefix between them; a request writes its prefix into the slots and joins them.
-- response() counts the answers, and in a 200 answer the refused records (each
-- refused result carries a "code"; an accepted one does not) with a plain find
-- that only stops at refused ones. Accepted records = 200 answers x size - refused.
-- thread_id, statuses and refused are globals: wrk's thread:set and thread:get reach only globals.
counter, thread_id, statuses, refused = 0, 0, {}, 0
local threads = {}
local run = os.getenv("BENCH_RUN") or "run"
local size = tonumber(os.getenv("BENCH_BATCH") or "1000")
local capped_every = tonumber(os.getenv("BENCH_CAPPED_EVERY") or "50")
local credits = os.getenv("BENCH_CREDITS") or "2.5"
local uncapped = { "bench-0", "bench-1", "bench-2", "bench-3", "bench-4", "bench-5", "bench-6", "bench-7" }
local features = { "training", "inference", "storage" }

-- parts[2i] is record i's key prefix (set per request); the odd parts are fixed:
-- record i is open(i) .. prefix .. "-i\"}", and the key is prefix .. "-" .. i.
local parts, slots = {}, {}
do
  local n = 0
  for i = 1, size do
    local ws
    if capped_every > 0 and i % capped_every == 0 then
      ws = "bench-capped"
    else
      ws = uncapped[(n % #uncapped) + 1]
      n = n + 1
    end
    local open = string.format('{"workspace":"%s","credits":"%s","feature":"%s","idempotency_key":"',
                               ws, credits, features[(i % #features) + 1])
    if i == 1 then
      parts[#parts + 1] = '{"records":[' .. open
    else
      parts[#parts + 1] = string.format('-%d"},', i - 1) .. open
    end
    parts[#parts + 1] = ""
    slots[#slots + 1] = #parts
  end
  parts[#parts + 1] = string.format('-%d"}]}', size)
end

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses, refused = {}, 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "demo-metering-token")
end

function request()
  counter = counter + 1
  local prefix = run .. "-" .. thread_id .. "-" .. counter
  for j = 1, #slots do parts[slots[j]] = prefix end
  return wrk.format("POST", "/api/usage/batch", nil, table.concat(parts))
end

local find = string.find

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    local at = find(body, '"code"', 1, true)
    while at do
      refused = refused + 1
      at = find(body, '"code"', at + 6, true)
    end
  end
end

function done(summary, latency, requests)
  local total, no = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
    no = no + t:get("refused")
  end
  local cells = {}
  for k, v in pairs(total) do table.insert(cells, string.format('"%d": %d', k, v)) end
  io.write("STATUSES {" .. table.concat(cells, ", ") .. "}\n")
  io.write(string.format("REFUSED %d\n", no))
  io.write(string.format("BATCH %d\n", size))
end
