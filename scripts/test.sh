#!/usr/bin/env bash
# Sets up what is missing and runs every check: formatting, lints, Rust tests
# against real Dovecot/Postfix, UI unit tests, and the app end to end under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"

# Servers of a test that was killed (timeout, crash) cannot stop themselves;
# stop whatever the harness left behind when this run ends.
cleanup() {
  for pidfile in /tmp/coffer-mailserver-*/dovecot-run/master.pid \
                 /tmp/coffer-mailserver-*/postfix/queue/pid/master.pid; do
    [ -f "$pidfile" ] && kill "$(tr -d ' ' < "$pidfile")" 2>/dev/null || true
  done
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; SECONDS_AT_STEP=$SECONDS; }
started=$SECONDS

step "formatting"
cargo fmt --all --check

step "UI build, type check and unit tests"
# The app embeds ui/dist, so it is built before anything compiles coffer-app.
(cd ui && npm run build && npm run check && npm test)

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (nextest)"
cargo nextest run --workspace --locked --profile ci

step "the app end to end (tauri-driver, WebKitWebDriver, Xvfb)"
cargo build -p coffer-app -p coffer-harness --bin coffer-app --bin coffer-demo-server --locked
(cd ui && xvfb-run -a --server-args="-screen 0 1280x800x24" npm run e2e)

printf '\nall checks passed in %d s\n' "$((SECONDS - started))"
