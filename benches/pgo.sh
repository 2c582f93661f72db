#!/usr/bin/env bash
# Builds errlens with profile-guided optimization and prints the binary's path.
#
#   benches/pgo.sh
#
# An instrumented build runs a training set (generated logs of every shape errlens reads, plain,
# gzip'd and zstd'd, through report, offenders and daily), and the release build then uses the
# profile it recorded: the compiler lays out and inlines the hot paths by measured counts. On
# the 4M-line log of compare.sh that made `errlens report` 10-13% faster (benches/RESULTS.md).
# The training logs use seed 7, not the seed 1 of compare.sh's log.
#
# Needs llvm-profdata of rustc's own LLVM (`rustup component add llvm-tools`, tried here if it is
# missing). The builds go to `$CARGO_TARGET_DIR/pgo` (two target directories of their own, since
# other RUSTFLAGS would rebuild the main one): 13 minutes on 2 cores the first time, 5.5 after
# (every crate names the profile as an input, so a new profile rebuilds them all).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$HOME/.cache/errlens-target}"
work="$target/pgo"
unset CARGO_TARGET_DIR RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
cd "$root"

host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "== adding rustup's llvm-tools (llvm-profdata)" >&2
  rustup component add llvm-tools >&2 || true
fi
if [ ! -x "$profdata" ]; then
  echo "pgo.sh: needs $profdata; install it with: rustup component add llvm-tools" >&2
  exit 2
fi

echo "== instrumented build" >&2
profiles="$work/profiles"
RUSTFLAGS="-Cprofile-generate=$profiles" cargo build --release --quiet --target-dir "$work/gen"
gen="$work/gen/release/errlens"

train="$work/train"
mkdir -p "$train"
if [ ! -s "$train/mixed.log.gz" ]; then
  echo "== generating the training logs" >&2
  "$gen" gen --shape nested --lines 1000000 --keys 20000 --seed 7 -o "$train/nested.ndjson"
  "$gen" gen --shape mixed --lines 400000 --keys 2000 --seed 7 -o "$train/mixed.log"
  gzip -1 -c "$train/mixed.log" > "$train/mixed.log.gz"
  # zstd's own decoder is C (not profiled); without the zstd tool only that input is left out.
  if command -v zstd > /dev/null; then
    zstd -q -3 -f "$train/nested.ndjson" -o "$train/nested.ndjson.zst"
  fi
fi

echo "== training" >&2
# Only the training runs count: the profiles of the builds and of `gen` go first.
rm -rf "$profiles"
"$gen" report --quiet "$train/nested.ndjson" > /dev/null
"$gen" report --quiet --threads 1 --format json "$train/nested.ndjson" > /dev/null
if [ -s "$train/nested.ndjson.zst" ]; then
  "$gen" report --quiet "$train/nested.ndjson.zst" > /dev/null
fi
"$gen" report --quiet "$train/mixed.log" > /dev/null
"$gen" report --quiet "$train/mixed.log.gz" > /dev/null
"$gen" offenders --quiet "$train/mixed.log" > /dev/null
rm -rf "$train/daily"
"$gen" daily --quiet --out "$train/daily" "$train/mixed.log" > /dev/null
"$profdata" merge -o "$work/errlens.profdata" "$profiles"

echo "== optimized build" >&2
RUSTFLAGS="-Cprofile-use=$work/errlens.profdata" \
  cargo build --release --quiet --target-dir "$work/use"
echo "$work/use/release/errlens"
