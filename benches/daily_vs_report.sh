#!/usr/bin/env bash
# How long `errlens daily` takes against `errlens report` on the same log, in the same run,
# alternating so that drift on a shared machine cancels out. Prints wall time, CPU and peak RSS
# for each run, the medians and their ratio.
#
#   benches/daily_vs_report.sh [--runs N] [--log FILE]
# Without --log a 1 GB, 7-day log is generated (errlens gen --lines 4200000 --days 7 --keys 20000).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs=5
log=""
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/errlens-target}"
(cd "$here/.." && cargo build --release --quiet)
errlens="$CARGO_TARGET_DIR/release/errlens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -z "$log" ]]; then
  log="$work/mixed.log"
  "$errlens" gen --lines 4200000 --days 7 --keys 20000 --seed 1 -o "$log"
fi
cat "$log" > /dev/null # warm the page cache
bytes=$(stat -c %s "$log")

one() { # name, command...
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null
  read -r wall user sys rss < "$work/time"
  echo "$name $wall $(echo "$user + $sys" | bc) $rss" >> "$work/all"
  printf '%-7s %6.2f s wall %6.2f s CPU %5d MiB\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
for ((i = 0; i < runs; i++)); do
  one report "$errlens" report --quiet "$log"
  rm -rf "$work/out"
  one daily "$errlens" daily --quiet --out "$work/out" --format md,html,json "$log"
done
python3 - "$work/all" "$bytes" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {n: statistics.median(float(r[1]) for r in rows if r[0] == n) for n in ("report", "daily")}
rss = {n: max(int(r[3]) for r in rows if r[0] == n) // 1024 for n in ("report", "daily")}
mb = int(sys.argv[2]) / 1e6
for n in ("report", "daily"):
    print(f"{n}: median {med[n]:.2f} s ({mb / med[n]:.0f} MB/s), peak RSS {rss[n]} MiB")
print(f"daily / report = {med['daily'] / med['report']:.2f}x")
PY
