#!/usr/bin/env bash
# Peak memory of `errlens offenders` as the log grows, for a log with about 1% of requests
# throttled: a tenth of the lines first (the baseline, same run), then all of them. The logs are
# generated with `errlens gen` and streamed through stdin, so no disk is needed for 100M lines.
# Memory should follow RATE_001 responses and distinct keys, not requests.
#
#   benches/offenders_memory.sh [--lines N]     (default 100000000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lines=100000000
while (($#)); do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/errlens-target}"
(cd "$here/.." && cargo build --release --quiet)
errlens="$CARGO_TARGET_DIR/release/errlens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf '| lines | requests | RATE_001 | keys rate limited | peak RSS | wall |\n|---|---|---|---|---|---|\n'
for n in $((lines / 10)) "$lines"; do
  "$errlens" gen --shape nested --lines "$n" --days 7 --keys 20000 --hot-share 0.02 --seed 1 \
    | /usr/bin/time -f "%M %e" -o "$work/time" "$errlens" offenders --quiet --format json - > "$work/out.json"
  read -r rss wall < "$work/time"
  python3 - "$work/out.json" "$n" "$rss" "$wall" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc["offenders"]
rate = sum(r["rate_limited"] for r in rows)
req = doc["inputs"][0]["lines"]
print(f"| {int(sys.argv[2]):,} | {req:,} | {rate:,} ({100 * rate / req:.2f}%) | {len(rows):,} | {int(sys.argv[3]) / 1024:.0f} MiB | {float(sys.argv[4]):.0f} s |")
PY
done
