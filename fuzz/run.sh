#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other, on one core.
# New inputs go to fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET is the committed seed
# corpus. Crashes land in fuzz/artifacts/TARGET. The stable toolchain runs cargo-fuzz with
# RUSTC_BOOTSTRAP=1 (cargo install cargo-fuzz first).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(classify timestamp retry_after catalog)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/errlens-fuzz-target}"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # A crash ends this target's run (its input lands in artifacts/TARGET); go on with the next.
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -max_len=65536 -print_final_stats=1 2>&1 | tail -n 40 \
    || echo "== $t: stopped with a failure, see above"
done
