-- Typeahead queries for wrk over one keep-alive connection (bench/RESULTS.md says how it is run).
-- wrk -t1 -c1 -d5s --latency -s bench/typeahead_wrk.lua URL -- TOKEN QUERIES_FILE LETTERS
local qs, i, token = {}, 0, ""
local function enc(s) return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
function init(args)
  token = args[1]
  for line in io.lines(args[2]) do
    local n, q = line:match("^(%d+)\t(.*)$")
    if n == args[3] then qs[#qs + 1] = "/api/v1/candidates?q=" .. enc(q) end
  end
end
function request()
  i = i % #qs + 1
  return wrk.format("GET", qs[i], {["Authorization"] = "Bearer " .. token})
end
