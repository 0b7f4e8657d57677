-- Spreads wrk's requests over many product pages instead of one, so the
-- run measures product pages and not one cached answer:
--   PRODUCT_PKS=pks.txt wrk -s bench/wrk/products.lua http://127.0.0.1:18080
-- PRODUCT_PKS names a file with one product pk per line.
local pks = {}
local file = assert(io.open(assert(os.getenv("PRODUCT_PKS"), "set PRODUCT_PKS"), "r"))
for line in file:lines() do
  if line ~= "" then pks[#pks + 1] = line end
end
file:close()
assert(#pks > 0, "PRODUCT_PKS lists no pk")

local next_pk = 0

function init(args)
  -- Each thread starts at its own place in the list.
  next_pk = math.random(#pks)
end

function request()
  next_pk = next_pk % #pks + 1
  return wrk.format("GET", "/product/" .. pks[next_pk] .. "/")
end
