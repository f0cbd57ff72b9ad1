-- post.lua -- wrk script for bench/run: POST one AdmissionReview per request.
--
-- Env: BENCH_BODY (file to send), BENCH_CLOSE=1 (ask for a new connection
-- per request), BENCH_DELAY_MS (mean think time per connection after each answer:
-- with C connections the offered rate is about C * 1000 / BENCH_DELAY_MS).
-- Prints one "RESULT k=v ..." line that bench/run parses; latencies in us.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_CLOSE") == "1" then
   wrk.headers["Connection"] = "close"
end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
   -- uniform in 0..2*delay_ms: with a fixed wait every connection stays in
   -- step with the others and their requests arrive in bursts
   delay = function()
      return math.random(0, 2 * delay_ms)
   end
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d errors=%d non2xx=%d " ..
      "p50=%d p90=%d p99=%d p999=%d max=%d mean=%.1f\n",
      summary.requests, summary.duration,
      e.connect + e.read + e.write + e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean))
end
