#!/usr/bin/env bash
# Compares errlens with the tools a user would reach for instead, on the same log, in one run.
#
#   benches/compare.sh [--lines N] [--runs R] [--jq-lines N] [--no-jq] [--pgo] [--work DIR]
#
# Generates a nested-shape log with `errlens gen` (the shape DuckDB, polars and jq read too),
# installs the peers (DuckDB and polars from PyPI into a venv; jq and ripgrep from Debian),
# checks that every peer's numbers equal errlens's, then times each command R times, in
# alternating order so drift on a shared machine cancels out, and prints the medians of wall
# time, CPU time and peak RSS with MB/s and the ratio to errlens. Writes benches/RESULTS.md.
# jq 1.6 slows down more than linearly as its per-key object grows (20k lines: 6 s, 200k: 200 s),
# so it runs on the first --jq-lines lines (default 20000) and is compared by MB/s only.
# --pgo also builds errlens with profile-guided optimization (benches/pgo.sh) and times that
# build beside the plain one (its rows say "PGO build"; the targets are checked for both).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
lines=4000000
runs=5
jq=1
jq_lines=20000
pgo=0
work="${TMPDIR:-/tmp}/errlens-compare"
while (($#)); do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --no-jq) jq=0; shift ;;
    --jq-lines) jq_lines="$2"; shift 2 ;;
    --pgo) pgo=1; shift ;;
    --work) work="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/errlens-target}"

echo "== building errlens (release)" >&2
(cd "$root" && cargo build --release --quiet)
errlens="$CARGO_TARGET_DIR/release/errlens"
if ((pgo)); then
  echo "== building errlens with profile-guided optimization (benches/pgo.sh)" >&2
  errlens_pgo="$(bash "$here/pgo.sh")"
fi

echo "== installing peers" >&2
if ! command -v jq >/dev/null || ! command -v rg >/dev/null || ! command -v zstd >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq jq ripgrep zstd gzip >/dev/null
fi
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install -q duckdb polars >/dev/null
py="$work/venv/bin/python"

log="$work/nested-$lines.ndjson"
if [ ! -s "$log" ]; then
  echo "== generating $log" >&2
  "$errlens" gen --shape nested --lines "$lines" --days 7 --keys 20000 --seed 1 -o "$log"
fi
[ -s "$log.gz" ] || gzip -1 -k -c "$log" > "$log.gz"
[ -s "$log.zst" ] || zstd -q -3 -c "$log" > "$log.zst"
# Each input as a read from disk leaves it in the page cache: its cached pages written back
# and dropped, then read once. How a file was written and read before decides the size of the
# page-cache folios its pages sit in, and that alone swings what reading it costs every tool
# here: `cat` of the 4M-line log took 0.12 s with the log left in small folios, 0.03 s after
# a read from disk; errlens --threads 1, 0.91 s and 0.80 s. Without this, the floors drifted
# from run to run with the file's history.
# (On tmpfs the pages cannot be dropped; RESULTS.md then says the inputs were not settled.)
settle() {
  sync "$1"
  dd if="$1" iflag=nocache count=0 status=none
  cat "$1" > /dev/null
}
bytes=$(stat -c %s "$log")
mb=$(python3 -c "print($bytes / 1e6)")

echo "== checking that every peer agrees" >&2
"$errlens" report --quiet --show-keys --format json "$log" > "$work/errlens.json"
"$py" "$here/peers/duckdb_report.py" "$log" > "$work/duckdb.json"
"$py" "$here/peers/polars_report.py" "$log" > "$work/polars.json"
"$py" "$here/peers/canonical.py" "$work/errlens.json" "$work/duckdb.json" "$work/polars.json"
sample="$work/nested-$lines-first-$jq_lines.ndjson"
if ((jq)); then
  head -n "$jq_lines" "$log" > "$sample"
  jq -n -c -f "$here/peers/report.jq" "$sample" > "$work/jq.json"
  "$errlens" report --quiet --show-keys --format json "$sample" > "$work/errlens-sample.json"
  "$py" "$here/peers/canonical.py" "$work/errlens-sample.json" "$work/jq.json"
fi
for f in "$log.gz" "$log.zst"; do
  "$errlens" report --quiet --show-keys --format json "$f" > "$work/errlens-c.json"
  "$py" "$here/peers/canonical.py" "$work/errlens.json" "$work/errlens-c.json" >/dev/null
done
if ((pgo)); then
  # The optimized build's whole report is the plain build's, byte for byte.
  "$errlens_pgo" report --quiet --show-keys --format json "$log" > "$work/errlens-pgo.json"
  cmp "$work/errlens.json" "$work/errlens-pgo.json"
fi

# name|command (run with bash -c)
cmds=(
  "errlens report|$errlens report --quiet $log > /dev/null"
  "errlens report --threads 1|$errlens report --quiet --threads 1 $log > /dev/null"
  "errlens report, 1 copy on stdin|cat $log | $errlens report --quiet - > /dev/null"
  "errlens report, 4 copies on stdin|cat $log $log $log $log | $errlens report --quiet - > /dev/null"
  "errlens report (gzip)|$errlens report --quiet $log.gz > /dev/null"
  "errlens report, 2 gzip files|$errlens report --quiet $log.gz $log.gz > /dev/null"
  "gzip -dc > /dev/null|gzip -dc $log.gz > /dev/null"
  "errlens report (zstd)|$errlens report --quiet $log.zst > /dev/null"
  "zstd -dc > /dev/null|zstd -dc $log.zst > /dev/null"
  "cat > /dev/null (read floor)|cat $log > /dev/null"
  "rg -c isSuccess:false (scan floor)|rg -c '\"isSuccess\":false' $log > /dev/null"
  "DuckDB read_ndjson|$py $here/peers/duckdb_report.py $log > /dev/null"
  "polars scan_ndjson streaming|$py $here/peers/polars_report.py $log > /dev/null"
)
if ((pgo)); then
  cmds+=(
    "errlens report (PGO build)|$errlens_pgo report --quiet $log > /dev/null"
    "errlens report --threads 1 (PGO build)|$errlens_pgo report --quiet --threads 1 $log > /dev/null"
    "errlens report (gzip, PGO build)|$errlens_pgo report --quiet $log.gz > /dev/null"
    "errlens report (zstd, PGO build)|$errlens_pgo report --quiet $log.zst > /dev/null"
  )
fi
if ((jq)); then
  cmds+=("jq 1.6 one pass (first $jq_lines lines)|jq -n -c -f $here/peers/report.jq $sample > /dev/null")
  cmds+=("errlens report (first $jq_lines lines)|$errlens report --quiet $sample > /dev/null")
fi

# Settled last, just before the timings (the checks above read the inputs too).
for f in "$log" "$log.gz" "$log.zst"; do settle "$f"; done
if ((jq)); then settle "$sample"; fi
# Each tool's own files are settled the same way: its executable, and the shared libraries
# of the venv (DuckDB's and polars' engines), so that each runs its own code as read from
# disk, as an installed program does. The system's shared libraries (libc, libzstd, libjq)
# and bash and time(1), which every row runs, are left as they are. A binary just written by
# the linker runs from the pages the linker wrote: errlens's once ran with 20% more user
# time (0.765 s against 0.635 s, 9 rounds) than after its pages were dropped and read
# again. Settling does not make copies equal: three settled copies of one build ran
# 0.685-0.743 s (--threads 1), from where their pages land. One run's errlens rows carry
# that draw, and the two-thread rows what the host gives the second vCPU (see README).
programs=("$errlens" "$(readlink -f "$py")")
for p in gzip zstd cat rg jq; do
  if command -v "$p" >/dev/null; then programs+=("$(readlink -f "$(command -v "$p")")"); fi
done
if ((pgo)); then programs+=("$errlens_pgo"); fi
while IFS= read -r -d '' so; do programs+=("$so"); done \
  < <(find "$work/venv" -name '*.so*' -type f -print0)
for f in "${programs[@]}"; do settle "$f"; done
if [ "$(stat -f -c %T "$work")" = tmpfs ]; then
  settled="The inputs are on tmpfs, whose pages cannot be dropped: they were not settled."
else
  settled="Each input's cached pages were dropped and the file read once before the runs, as a read
from disk leaves it (the page-cache state otherwise depends on the file's history). So were
the tools' own files: the executables and the venv's shared libraries (${#programs[@]} files)."
fi

results="$work/times.tsv"
: > "$results"
echo "== timing: $runs rounds, alternating order" >&2
for ((r = 0; r < runs; r++)); do
  order=$(seq 0 $((${#cmds[@]} - 1)))
  ((r % 2)) && order=$(echo "$order" | tac)
  for i in $order; do
    name="${cmds[$i]%%|*}"
    cmd="${cmds[$i]#*|}"
    # Wall time from bash's clock, in whole microseconds (it takes in time(1)'s own start,
    # about a millisecond): time(1) prints it in hundredths, a 2% step on a half-second run,
    # as wide as the margins the targets are judged by. CPU and peak RSS from time(1).
    t0=${EPOCHREALTIME/[.,]/}
    /usr/bin/time -f "%U\t%S\t%M" -o "$work/t" bash -c "$cmd"
    t1=${EPOCHREALTIME/[.,]/}
    us=$((t1 - t0))
    printf -v wall '%d.%06d' $((us / 1000000)) $((us % 1000000))
    printf '%s\t%s\t%s\n' "$name" "$wall" "$(tail -n 1 "$work/t")" >> "$results"
  done
done

sample_mb=$(python3 -c "print($(stat -c %s "$sample" 2>/dev/null || echo 0) / 1e6)")
"$py" - "$results" "$mb" "$sample_mb" > "$work/table.md" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, wall, user, sys_, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(wall), float(user) + float(sys_), int(rss)))
full_mb, sample_mb = float(sys.argv[2]), float(sys.argv[3])
base = statistics.median(w for w, _, _ in rows["errlens report"])
print(f"| tool | wall (median) | CPU | peak RSS | MB/s | wall / errlens |")
print("|---|---|---|---|---|---|")
for name, rs in rows.items():
    mb = (sample_mb if "first" in name else 4 * full_mb if "4 copies" in name
          else 2 * full_mb if "2 gzip files" in name else full_mb)
    wall = statistics.median(r[0] for r in rs)
    cpu = statistics.median(r[1] for r in rs)
    rss = statistics.median(r[2] for r in rs) / 1024
    print(f"| {name} | {wall:.3f} s | {cpu:.2f} s | {rss:.0f} MiB | {mb / wall:.0f} | {wall / base:.2f} |")
rss = {n: statistics.median(r[2] for r in rs) for n, rs in rows.items()}
one, four = rss["errlens report, 1 copy on stdin"], rss["errlens report, 4 copies on stdin"]
print()
print(f"Memory flatness: peak RSS with 4 copies of the log on stdin / 1 copy = {four / one:.3f} "
      f"({(four / one - 1) * 100:+.1f}%; the target is at most +10%).")
print(f"Threads: --threads 1 / default wall = "
      f"{statistics.median(r[0] for r in rows['errlens report --threads 1']) / base:.3f}x.")
wall = {n: statistics.median(r[0] for r in rs) for n, rs in rows.items()}
two = wall["errlens report, 2 gzip files"] / wall["errlens report (gzip)"]
print(f"Two gzip files: wall / one gzip file = {two:.3f} (read one after the other, about 2; "
      f"a second thread decompresses the second file when the first reader leaves it idle).")
checks = [
    ("at least 4x faster than DuckDB", wall["DuckDB read_ndjson"] / base, ">=", 4.0),
    ("within 1.5x of rg -c (aim)", base / wall["rg -c isSuccess:false (scan floor)"], "<=", 1.5),
    ("peak RSS under 100 MiB", rss["errlens report"] / 1024, "<=", 100.0),
    ("4 copies raise peak RSS by at most 10%", four / one, "<=", 1.10),
    ("gzip no slower than gzip -dc", wall["errlens report (gzip)"] / wall["gzip -dc > /dev/null"], "<=", 1.0),
    ("zstd within 1.2x of zstd -dc", wall["errlens report (zstd)"] / wall["zstd -dc > /dev/null"], "<=", 1.2),
    ("--threads 2 at least 1.8x faster than --threads 1",
     wall["errlens report --threads 1"] / base, ">=", 1.8),
]
if "errlens report (PGO build)" in wall:
    pgo = wall["errlens report (PGO build)"]
    checks += [
        ("PGO build: at least 4x faster than DuckDB", wall["DuckDB read_ndjson"] / pgo, ">=", 4.0),
        ("PGO build: within 1.5x of rg -c (aim)",
         pgo / wall["rg -c isSuccess:false (scan floor)"], "<=", 1.5),
        ("PGO build: peak RSS under 100 MiB", rss["errlens report (PGO build)"] / 1024, "<=", 100.0),
        ("PGO build: gzip no slower than gzip -dc",
         wall["errlens report (gzip, PGO build)"] / wall["gzip -dc > /dev/null"], "<=", 1.0),
        ("PGO build: zstd within 1.2x of zstd -dc",
         wall["errlens report (zstd, PGO build)"] / wall["zstd -dc > /dev/null"], "<=", 1.2),
        ("PGO build: --threads 2 at least 1.8x faster than --threads 1",
         wall["errlens report --threads 1 (PGO build)"] / pgo, ">=", 1.8),
    ]
print()
print("| target (issue #5) | measured | met |")
print("|---|---|---|")
for name, value, op, bound in checks:
    met = value >= bound if op == ">=" else value <= bound
    print(f"| {name} | {value:.3f} ({op} {bound}) | {'yes' if met else 'no'} |")
# The targets above are ratios of medians. On a shared machine a slow minute moves one tool's
# median and not the other's; the ratio of each round's two runs (seconds apart) shows how far
# that goes. Information only: the targets are judged as above.
pairs = [
    ("DuckDB / errlens", "DuckDB read_ndjson", "errlens report"),
    ("errlens (zstd) / zstd -dc", "errlens report (zstd)", "zstd -dc > /dev/null"),
    ("--threads 1 / --threads 2", "errlens report --threads 1", "errlens report"),
    ("DuckDB / errlens (PGO build)", "DuckDB read_ndjson", "errlens report (PGO build)"),
    ("errlens (zstd, PGO build) / zstd -dc", "errlens report (zstd, PGO build)",
     "zstd -dc > /dev/null"),
    ("--threads 1 / --threads 2 (PGO build)", "errlens report --threads 1 (PGO build)",
     "errlens report (PGO build)"),
]
print()
print("| ratio, round by round | lowest | median | highest |")
print("|---|---|---|---|")
for label, a, b in pairs:
    if a in rows and b in rows:
        r = sorted(x[0] / y[0] for x, y in zip(rows[a], rows[b]))
        print(f"| {label} | {r[0]:.2f} | {statistics.median(r):.2f} | {r[-1]:.2f} |")
PY
cat "$work/table.md"
pgo_flag=""
if ((pgo)); then pgo_flag=" --pgo"; fi
# The processor, as far as a VM tells it: runs on machines of one kind have differed by a
# third in speed (a Zen 4 against a Zen 5), so results name theirs.
cpu="$(awk -F': ' '/^model name/ {m = $2} /^cpu family/ {f = $2} /^model\t/ {n = $2}
  END { if (m == "") m = "processor unknown"
        if (f != "" && n != "") m = m ", family " f " model " n
        print m }' /proc/cpuinfo 2>/dev/null || echo "processor unknown")"
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then cpu="$cpu, AVX-512"; fi
{
  echo "# Benchmark results"
  echo
  echo "Latest run of \`benches/compare.sh --lines $lines --runs $runs$pgo_flag\`: $(date -u +%Y-%m-%dT%H:%MZ),"
  echo "$(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), rustc $(rustc --version | cut -d' ' -f2)."
  echo "Input: \`errlens gen --shape nested --lines $lines --days 7 --keys 20000 --seed 1\`,"
  echo "$(python3 -c "print(round($bytes/1e6))") MB; gzip -1 and zstd -3 copies for the compressed rows."
  echo "$settled"
  echo "Every peer's requests, errors by code, per-key requests/errors/RATE_001 and per-day"
  echo "requests/errors were checked equal to errlens's before timing. MB/s is of the"
  echo "uncompressed log. Medians of $runs runs (wall time to the microsecond, from bash's clock;"
  echo "CPU and peak RSS from time(1)). jq runs on the first $jq_lines lines only"
  echo "(it slows down more than linearly with the number of keys), beside errlens on the same sample."
  if ((pgo)); then
    echo "The rows marked \"PGO build\" time errlens built by \`benches/pgo.sh\` (profile-guided, trained"
    echo "on generated logs of another seed); its JSON report was checked equal to the plain build's."
  fi
  echo
  cat "$work/table.md"
} > "$here/RESULTS.md"
echo "wrote $here/RESULTS.md" >&2
