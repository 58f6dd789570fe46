#!/usr/bin/env bash
# Sets up what is missing and runs every check: formatting, lints, Rust tests
# against real Dovecot/Postfix, UI unit tests, and the app end to end under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
# npm must not look for its own updates at exit (CI may block the registry).
export npm_config_update_notifier=false

# Servers of a test that was killed (timeout, crash) cannot stop themselves;
# stop whatever the harness left behind when this run ends.
# Nothing this run started may outlive it: a CI runner may wait for every
# process it started, and a leftover daemon would hold it past its limit.
cleanup() {
  for pidfile in /tmp/coffer-mailserver-*/dovecot-run/master.pid \
                 /tmp/coffer-mailserver-*/postfix/queue/pid/master.pid; do
    [ -f "$pidfile" ] && kill "$(tr -d ' ' < "$pidfile")" 2>/dev/null || true
  done
  # Servers whose directory is already gone, and the app's test drivers.
  pkill -f 'dovecot -c /tmp/coffer-mailserver-' 2>/dev/null || true
  pkill -f '^tauri-driver|WebKitWebDriver' 2>/dev/null || true
  # The keyring test's own D-Bus session, if a killed test left it.
  pkill -f 'gnome-keyring-daemon --unlock --components=secrets' 2>/dev/null || true
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
cargo build -p coffer-app -p coffer-harness -p coffer --bin coffer-app --bin coffer-demo-server --bin coffer --locked
# Bounded: a driver that never exits fails the run instead of hanging it.
(cd ui && timeout --kill-after=30 900 xvfb-run -a --server-args="-screen 0 1280x800x24" npm run e2e)

step "the .deb package: built, resolvable by apt, installed into a throwaway root and started"
# After the end-to-end tests: `tauri build` rebuilds coffer-app with its
# custom-protocol feature in target/debug.
bash scripts/test-package.sh

printf '\nall checks passed in %d s\n' "$((SECONDS - started))"
