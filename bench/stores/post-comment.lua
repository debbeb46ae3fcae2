-- wrk script for bench/stores.sh: every request creates a comment (POST /api/v1/comments, a JSON body that
-- changes with each request, so every write stores a different record).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
    n = n + 1
    local body = string.format(
        '{"post_id":%d,"body":"comment %d: the new service must store exactly what the old one stored"}',
        48000 + n % 100, n)
    return wrk.format(nil, "/api/v1/comments", nil, body)
end

-- WRK_DELAY_MS: each connection waits this long between requests (bench/stores.sh's paced pass, below saturation).
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pause > 0 then
    delay = function() return pause end
end
