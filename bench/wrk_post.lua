-- POST form-encoded SPARQL queries with wrk, cycling through a file of request bodies.
--
-- Used by bench/wrkload.py:  wrk -t T -c C -d Ns -s bench/wrk_post.lua URL -- BODIES T [GET]
-- BODIES holds one `query=...` body per line (form-encoded, so no body contains a newline);
-- with GET, one path per line instead (bench/api_bench.py's routes).
-- Thread k of T sends bodies k, k+T, k+2T, ... so one thread cycles through them in file order,
-- as bench/loadgen.py does (wrk builds one request ahead at start-up, so it begins at the
-- second). A response outside 200-299 counts as an error (wrk's own counter also accepts 3xx).
-- At the end one line starting "WRK_JSON " holds the figures as JSON.

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  table.insert(threads, thread)
  count = count + 1
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  if #bodies == 0 then
    error("no request bodies in " .. tostring(args[1]))
  end
  step = tonumber(args[2]) or 1
  method = args[3] or "POST"
  index = id
  non2xx = 0
  sample = ""
  if method == "GET" then  -- each line a path (with its query string)
    wrk.method = "GET"
    wrk.headers["Accept"] = "application/json"
    wrk.headers["Accept-Encoding"] = "gzip"
  else
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["Accept"] = "application/sparql-results+json"
  end
end

function request()
  local line = bodies[(index % #bodies) + 1]
  index = index + step
  if method == "GET" then
    return wrk.format("GET", line)
  end
  return wrk.format("POST", nil, nil, line)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if #sample == 0 then
      sample = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 200)
    end
  end
end

local function quote(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local s = thread:get("sample") or ""
    if #first == 0 then
      first = s
    end
  end
  local e = summary.errors
  local parts = {
    string.format('"requests": %d', summary.requests),
    string.format('"duration_us": %d', summary.duration),
    string.format('"bytes": %d', summary.bytes),
    string.format('"non2xx": %d', bad),
    string.format(
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}',
      e.connect, e.read, e.write, e.timeout
    ),
    string.format('"latency_us": {"min": %d, "max": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d}',
      latency.min, latency.max, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99)),
    '"error_sample": ' .. quote(first),
  }
  io.write("WRK_JSON {" .. table.concat(parts, ", ") .. "}\n")
end
