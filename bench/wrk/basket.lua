-- Basket load: POST /baskets/basket/ (add one unit) or, with METHOD=GET,
-- GET /baskets/basket/, spread round robin over many guest sessions that
-- each hold a basket, and over a few products:
--   BASKET_COOKIES=cookies.txt BASKET_PRODUCTS=pks.txt METHOD=POST \
--     wrk -s bench/wrk/basket.lua --latency http://127.0.0.1:18081
-- BASKET_COOKIES lists one "osessionid=..." per line, BASKET_PRODUCTS one
-- product pk per line (with stock to spare). bench/wrk/basket.sh sets
-- both up and runs the whole measurement.
local function lines(env)
  local out, path = {}, os.getenv(env)
  assert(path, "set " .. env)
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, env .. " lists nothing")
  return out
end

local cookies, products = lines("BASKET_COOKIES"), lines("BASKET_PRODUCTS")
local method = os.getenv("METHOD") or "POST"
local counter = 0

function init(args)
  counter = math.random(#cookies)
end

function request()
  counter = counter + 1
  local headers = { ["Cookie"] = cookies[counter % #cookies + 1], ["Content-Type"] = "application/json" }
  if method == "GET" then
    return wrk.format("GET", "/baskets/basket/", headers)
  end
  local body = '{"product": ' .. products[counter % #products + 1] .. ', "quantity": 1}'
  return wrk.format("POST", "/baskets/basket/", headers, body)
end

local failures = 0

function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then print("status " .. status .. ": " .. body) end
  end
end
