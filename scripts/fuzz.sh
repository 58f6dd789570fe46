#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 600), niced, one
# after another, and prints each one's executions and crashes. New inputs go
# to fuzz-target/work/TARGET (outside the repository); crashes to
# fuzz/artifacts/TARGET. Needs the nightly toolchain and cargo-fuzz
# (installed when missing).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${1:-600}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(seal_open seal_head imap_response mutf7 uid_set search_query mime_read)
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export CARGO_TARGET_DIR="$PWD/fuzz-target"
cd fuzz
for t in "${targets[@]}"; do
  mkdir -p "../fuzz-target/work/$t"
  # -O: release with debug assertions off, as mail-parser ships (fuzz/Cargo.toml).
  log="../fuzz-target/work/$t.log"
  status=0
  nice -n 19 cargo +nightly fuzz run -O "$t" "../fuzz-target/work/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -print_final_stats=1 > "$log" 2>&1 || status=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  crashes="$(ls "artifacts/$t" 2>/dev/null | wc -l)"
  echo "$t: ${seconds} s, ${execs} executions, exit ${status}, ${crashes} crash file(s) in fuzz/artifacts/$t"
done
