-- wrk script for authkit's ceiling run: GET one path with the variant's credential in a
-- header, and print one JSON line with the numbers `authkit compare` needs.
-- Environment: AUTHKIT_WRK_PATH (default /me), AUTHKIT_WRK_HEADER ("Name: value", optional).
local path = os.getenv("AUTHKIT_WRK_PATH") or "/me"
local header = os.getenv("AUTHKIT_WRK_HEADER") or ""
local name, value = header:match("^([^:]+):%s*(.*)$")
if name then
  wrk.headers[name] = value
end

request = function()
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'AUTHKIT-WRK {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p95": %d, ' ..
    '"p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max))
end
