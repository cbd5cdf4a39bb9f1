-- wrk script of `make bench` (tests/bench/run.py writes the files it reads).
--
-- BENCH_REQUESTS_FILE: a Lua file returning the scenario's requests, {method, path, headers,
--   body} each; every thread sends them in turn, starting at its own offset, so consecutive
--   requests go to different carts.
-- BENCH_THREADS: wrk's -t, the stride of that rotation.
-- BENCH_WRK_OUT: done() writes the summary there as JSON, with the answers by status class.

local list = dofile(os.getenv("BENCH_REQUESTS_FILE"))
local threads = {}
local started = 0

function setup(thread)
   thread:set("id", started)
   table.insert(threads, thread)
   started = started + 1
end

function init(args)
   stride = tonumber(os.getenv("BENCH_THREADS"))
   index = id
   prepared = {}
   for i, r in ipairs(list) do
      prepared[i] = wrk.format(r[1], r[2], r[3], r[4])
   end
   s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
end

function request()
   local r = prepared[index % #prepared + 1]
   index = index + stride
   return r
end

function response(status, headers, body)
   if status < 300 then
      s2xx = s2xx + 1
   elseif status < 400 then
      s3xx = s3xx + 1
   elseif status < 500 then
      s4xx = s4xx + 1
   else
      s5xx = s5xx + 1
   end
end

function done(summary, latency, requests)
   local classes = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0}
   for _, thread in ipairs(threads) do
      for name, count in pairs(classes) do
         classes[name] = count + (thread:get(name) or 0)
      end
   end
   local e = summary.errors
   local out = io.open(os.getenv("BENCH_WRK_OUT"), "w")
   out:write(string.format(
      '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
      '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
      '"max_us": %d, "s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
      classes.s2xx, classes.s3xx, classes.s4xx, classes.s5xx))
   out:close()
end
