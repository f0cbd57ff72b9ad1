-- wrk script for tests/soak/run.sh: cycles through a compliant review on
-- /validate, a violating one on /validate (denied) and the same on /mutate
-- (patched), over keep-alive connections (args: DATA-DIR), and prints one
-- SOAK line with the request and error counts for run.sh.
local reqs = {}
local n = 0

local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("*a")
    f:close()
    return s
end

function init(args)
    local dir = args[1]
    local h = { ["Content-Type"] = "application/json" }
    reqs = {
        wrk.format("POST", "/validate", h, slurp(dir .. "/allow_v1.json")),
        wrk.format("POST", "/validate", h, slurp(dir .. "/deny_v1.json")),
        wrk.format("POST", "/mutate", h, slurp(dir .. "/deny_v1.json")),
    }
end

function request()
    n = n + 1
    return reqs[(n % #reqs) + 1]
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "SOAK requests=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
        summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
