#!/usr/bin/env bash
# Drives the review web UI in a real headless browser (Debian's `chromium`) over a ledger with known contents.
#
#   scripts/ui-browser-test.sh [SCREENSHOT_DIR]      (default bench/results/ui)
#
# It builds `tapcompare` and `tapcompare-bench`, writes a small SQLite ledger with known figures
# (`tapcompare-bench report-demo`, see bench/Sources/tapcompare-bench/ReportDemoLedger.swift), serves it with
# `tapcompare ui` on a free loopback port, then for every page: dumps the DOM the browser built and checks it for
# the expected routes, fields and values, and saves a screenshot. "Mark as noise" is exercised through the API the
# button posts to, then checked on the re-rendered page. The self-contained HTML report is checked the same way,
# opened from a file with the network disabled. Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shots=${1:-bench/results/ui}
mkdir -p "$shots"

log() { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null 2>&1 || {
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
  }
fi

log "building"
swift build --product tapcompare >/dev/null
swift build --product tapcompare-bench >/dev/null
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/tapcompare-ui.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP_UI_WORK:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT INT TERM

log "seeding a ledger with known contents"
"$bin/tapcompare-bench" report-demo --ledger "sqlite:$work/demo.sqlite"

log "starting tapcompare ui on a free loopback port"
"$bin/tapcompare" ui --ledger "sqlite:$work/demo.sqlite" --listen 127.0.0.1:0 >"$work/ui.out" 2>"$work/ui.err" &
server_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/ui.out" 2>/dev/null | head -n 1 || true)
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/ui.err" >&2; fail "tapcompare ui exited"; }
  sleep 0.1
done
[ -n "$base" ] || fail "tapcompare ui did not report its port"
log "UI at $base/ui"

browser() {
  # --no-sandbox: the sandbox needs user namespaces, unavailable when run as root in a container.
  timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-extensions \
    --no-first-run --disable-background-networking --virtual-time-budget=5000 "$@" 2>/dev/null
}

checked=0
# page NAME URL EXPECTED...: dumps the DOM, checks each expected string, saves NAME.png.
page() {
  local name=$1 url=$2
  shift 2
  browser --dump-dom "$url" >"$work/$name.html" || fail "$name: chromium could not load $url"
  for expected in "$@"; do
    grep -qF -- "$expected" "$work/$name.html" || { echo "--- $name: the page's main content ---" >&2; python3 -c 'import sys; t = open(sys.argv[1]).read(); print(t[t.find("<main>"):][:3000])' "$work/$name.html" >&2; echo >&2; fail "$name ($url): expected to find: $expected"; }
    checked=$((checked + 1))
  done
  browser --window-size=1400,1000 --screenshot="$repo/$shots/$name.png" "$url" >/dev/null || fail "$name: screenshot failed"
  log "$name: $# checks passed, screenshot $shots/$name.png"
}

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

page overview "$base/ui" \
  'id="mismatch-rate">31.43%</div>' '132 of 420 compared requests' \
  '<code>GET /api/v1/posts/{id}/comments</code>' '<code>GET /api/v1/comments/{id}</code>' \
  '<code>POST /api/v1/comments</code>' '<code>PUT /api/v1/comments/{id}</code>' \
  '25 comparisons are missing' 'aria-label="Mismatch rate over time"' \
  '<td class="n bad"><strong>5.00%</strong></td>' '<td class="n">47.0 / 71.0 / 77.0</td>' '0.50×'

comments=$(enc 'GET /api/v1/comments/{id}')
posts=$(enc 'GET /api/v1/posts/{id}/comments')
page route-comments "$base/ui/route?route=$comments" \
  'id="route-rate">5.00%</span>' 'data-field="$.score"' 'data-field="$.updated_at"' \
  '10 regression' '2 race' 'class="mark-noise"'
page route-posts "$base/ui/route?route=$posts" \
  'id="route-rate">100%</span>' 'data-field="$.request_id"' 'data-field="$.comments[*].author.handle"' \
  '<strong>Probably noise:</strong> <code>$.request_id</code>' '      - "$.request_id"'
page route-races "$base/ui/route?route=$comments&classification=race" \
  'data-field="$.updated_at"' '<option value="race" selected="">race</option>'
grep -qF 'data-field="$.score"' "$work/route-races.html" && fail "route-races: the race filter still lists \$.score"

page field-score "$base/ui/field?route=$comments&field=$(enc '$.score')&kind=value_changed" \
  '<span class="jn">4.5</span>' '<mark data-path="/score"><span class="jn">4.5</span></mark>' \
  '<mark data-path="/score"><span class="jn">4</span></mark>' 'Latest occurrences'

id=$(curl -fsS "$base/api/v1/routes/$posts/fields/$(enc '$.comments[*].author.handle')/examples?limit=1" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["examples"][0]["comparison_id"])')
[ -n "$id" ] || fail "no example comparison id from the API"
page comparison "$base/ui/comparisons/$id" \
  '<mark data-path="/comments/1/author/handle"><span class="js">"bob"</span></mark>' \
  '<mark data-path="/comments/1/author/handle"><span class="jn">null</span></mark>' 'type_changed' 'authorization: [REDACTED]'

log "mark as noise: click the button in the browser (DevTools protocol), wait for the rule it shows"
cat >"$work/click.py" <<'PY'
# Clicks "Mark as noise" in a real browser over the Chrome DevTools Protocol (standard library only: a minimal
# WebSocket client), waits for the page to show the rule, prints the rule box's text and saves a screenshot.
#   python3 - PORT PAGE_URL FIELD SCREENSHOT < this file
import base64, json, os, socket, struct, sys, time, urllib.request

port, page_url, field, shot = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
deadline = time.time() + 30
targets = []
while time.time() < deadline:
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
        targets = [t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(page_url.split("?")[0])]
        if targets:
            break
    except OSError:
        pass
    time.sleep(0.2)
if not targets:
    sys.exit("no browser page for " + page_url)
ws_url = targets[0]["webSocketDebuggerUrl"]
host_port, path = ws_url[len("ws://"):].split("/", 1)
host, wport = host_port.split(":")
sock = socket.create_connection((host, int(wport)), timeout=30)
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
handshake = b""
while b"\r\n\r\n" not in handshake:
    handshake += sock.recv(4096)
if b" 101 " not in handshake.split(b"\r\n")[0]:
    sys.exit("websocket handshake failed: " + handshake.decode(errors="replace"))
buffer = handshake.split(b"\r\n\r\n", 1)[1]

def recv_exact(n):
    global buffer
    while len(buffer) < n:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("browser closed the connection")
        buffer += chunk
    data, buffer = buffer[:n], buffer[n:]
    return data

def send(obj):
    payload = json.dumps(obj).encode()
    header = bytes([0x81])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

def receive():
    message = b""
    while True:
        b0, b1 = recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", recv_exact(8))[0]
        data = recv_exact(n)
        if b0 & 0x0F in (0x1, 0x0):
            message += data
            if b0 & 0x80:
                return json.loads(message)

next_id = 0
def call(method, params):
    global next_id
    next_id += 1
    send({"id": next_id, "method": method, "params": params})
    while True:
        reply = receive()
        if reply.get("id") == next_id:
            if "error" in reply:
                sys.exit(f"{method} failed: {reply['error']}")
            return reply["result"]

# Wait for the page to finish loading, click the field's button, then wait for the rule box.
script = """
new Promise((resolve) => {
  const start = Date.now();
  const ready = () => document.readyState === 'complete';
  const go = () => {
    const button = [...document.querySelectorAll('button.mark-noise')].find(b => b.dataset.field === %s);
    if (!button) { resolve('NO BUTTON'); return; }
    button.click();
    const poll = () => {
      const box = document.getElementById('rule');
      if (box && !box.hidden && box.innerText.includes('rules:')) { resolve(box.innerText); return; }
      if (Date.now() - start > 10000) { resolve('TIMEOUT: ' + (box ? box.innerText : 'no #rule')); return; }
      setTimeout(poll, 100);
    };
    poll();
  };
  const wait = () => ready() ? go() : setTimeout(wait, 100);
  wait();
})
""" % json.dumps(field)
result = call("Runtime.evaluate", {"expression": script, "awaitPromise": True, "returnByValue": True})
text = result.get("result", {}).get("value", "")
print(text)
call("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
shot_data = call("Page.captureScreenshot", {"format": "png"})["data"]
with open(shot, "wb") as f:
    f.write(base64.b64decode(shot_data))
PY
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --remote-debugging-port=0 \
  --user-data-dir="$work/profile" "$base/ui/route?route=$posts" >/dev/null 2>&1 &
browser_pid=$!
for _ in $(seq 1 100); do [ -s "$work/profile/DevToolsActivePort" ] && break; sleep 0.1; done
[ -s "$work/profile/DevToolsActivePort" ] || fail "chromium did not open its DevTools port"
devtools_port=$(head -n 1 "$work/profile/DevToolsActivePort")
clicked=$(python3 "$work/click.py" "$devtools_port" "$base/ui/route" '$.request_id' "$repo/$shots/route-posts-clicked.png") || { kill "$browser_pid" 2>/dev/null; fail "clicking Mark as noise failed"; }
kill "$browser_pid" 2>/dev/null || true
wait "$browser_pid" 2>/dev/null || true
for expected in 'Marked $.request_id as noise' 'route: "GET /api/v1/posts/{id}/comments"' '- "$.request_id"'; do
  printf '%s' "$clicked" | grep -qF -- "$expected" || fail "after the click, the rule box does not show: $expected (it shows: $clicked)"
  checked=$((checked + 1))
done
log "mark as noise: the button posted the annotation and the page shows the rule; screenshot $shots/route-posts-clicked.png"
annotations=$(curl -fsS "$base/api/v1/annotations")
printf '%s' "$annotations" | grep -qF '"field":"$.request_id"' || fail "the annotation is not in GET /api/v1/annotations: $annotations"
page route-posts-marked "$base/ui/route?route=$posts" '<span class="pill noise">marked noise</span>'

log "the HTML report, opened from a file"
"$bin/tapcompare" report --ledger "sqlite:$work/demo.sqlite" --format html --output "$work/static-report.html"
if grep -Eio '(src|href)="https?://[^"]*"' "$work/static-report.html" | head -n 1 | grep -q .; then fail "the HTML report references an external URL"; fi
page report "file://$work/static-report.html" \
  'id="mismatch-rate">31.43%</div>' '<code>$.request_id</code>' '<mark data-path="/score"><span class="jn">4</span></mark>' \
  'aria-label="Latency percentiles per route, legacy against candidate"'

log "all $checked checks passed; screenshots in $shots/"
