#!/usr/bin/env bash
# Load-tests `tlb serve` with wrk (Debian package wrk), a C load generator, so that the clients
# cost the 2 cores less than `tlb bench serve`'s in-process Java clients do.
# Usage: tlb-core/bench/serve-wrk.sh RUN_DIR [serve options…]; env SECONDS_EACH (default 10),
# CONCURRENCY (default "1 8 32"), PORT (default 8093).
set -euo pipefail
run=${1:?usage: serve-wrk.sh RUN_DIR [tlb serve options]}; shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port=${PORT:-8093}
seconds=${SECONDS_EACH:-10}
command -v wrk >/dev/null || { echo "serve-wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# a 32x32 PNG of seeded noise: a CIFAR-sized request body
python3 - "$work/image.png" <<'PY'
import random, struct, sys, zlib
random.seed(42)
raw = b"".join(b"\0" + bytes(random.randrange(256) for _ in range(32 * 3)) for _ in range(32))
chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
local f = io.open("$work/image.png", "rb")
wrk.body = f:read("*all")
f:close()
LUA
"$here/tlb" serve --model "$run" --port "$port" "$@" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 0.5; done
url="http://127.0.0.1:$port/predictions/$(basename "$(cd "$run" && pwd)")?topk=1"
curl -sf -H "Content-Type: image/png" --data-binary "@$work/image.png" "$url" >/dev/null \
  || { echo "serve-wrk.sh: the server does not answer; its log:" >&2; cat "$work/serve.log" >&2; exit 1; }
for c in ${CONCURRENCY:-1 8 32}; do
  threads=$(( c < 2 ? 1 : 2 ))
  wrk -t "$threads" -c "$c" -d 5s -s "$work/post.lua" "$url" >/dev/null   # warm-up
  echo "== concurrency $c, ${seconds}s"
  wrk -t "$threads" -c "$c" -d "${seconds}s" --latency -s "$work/post.lua" "$url" > "$work/wrk.txt"
  grep -E "Requests/sec|  50%|  99%|requests in" "$work/wrk.txt"
  # wrk prints these two lines only when they are not zero
  grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || echo "  errors: 0 (no non-2xx answers, no socket errors)"
done
echo "peak resident memory of the server: $(awk '/VmHWM/ {print $2 / 1024 " MB"}' /proc/$server/status 2>/dev/null || echo unknown)"
