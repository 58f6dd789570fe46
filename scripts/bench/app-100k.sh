#!/usr/bin/env bash
# The desktop app with a large index (default 100,000 messages): unlock to
# inbox shown, opening a cached message, a one-word search, and scrolling the
# message list top to bottom, measured in the real release app under Xvfb.
#   scripts/bench/app-100k.sh [MESSAGES]
# Targets (issue 12): unlock ≤ 1 s beyond Argon2id; open ≤ 50 ms; search
# ≤ 100 ms; no frame over 50 ms while scrolling. Figures: docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
n="${1:-100000}"
pass="tulip orbit cactus lantern"
(cd ui && npm run build >/dev/null)
cargo build --release --locked -p coffer-app -p coffer-harness --bin coffer-app --bin coffer-bench-app-vault
work="$(mktemp -d)"
trap 'rm -rf "$work"; pkill -f "^tauri-driver|WebKitWebDriver" 2>/dev/null || true' EXIT
echo "filling a vault with $n messages..."
made="$(target/release/coffer-bench-app-vault "$work/vault" "$pass" "$n")"
echo "vault: $made"
delay="$(grep -o 'searchDelay = [0-9]*' ui/src/views/Mail.svelte | grep -o '[0-9]*$')"
measured="$(cd ui && COFFER_APP_BIN="$PWD/../target/release/coffer-app" \
  xvfb-run -a --server-args="-screen 0 1280x800x24" node bench/app-perf.mjs "$work/vault" "$pass" "$delay" | tail -n 1)"
echo "app: $measured"
python3 - "$made" "$measured" <<'PY'
import json, statistics, sys
made, m = json.loads(sys.argv[1]), json.loads(sys.argv[2])
argon = made["argon2_seconds"] * 1000
whole = min(made["unlock_seconds"]) * 1000
opens = [x for x in m["open_cached_ms"] if x >= 0]
ipc = m["search_ipc_ms"]
s = m["scroll"]
print(f"messages in the index          {made['messages']}")
print(f"Argon2id alone                 {argon:.0f} ms")
print(f"whole unlock with the full page check (the CLI's) {whole:.0f} ms")
print(f"unlock to inbox list shown     {m['unlock_to_inbox_ms']:.0f} ms  = Argon2id + {m['unlock_to_inbox_ms'] - argon:.0f} ms   (target: + 1000 ms)")
print(f"open a cached message          median {statistics.median(opens):.1f} ms, max {max(opens):.1f} ms   (target: 50 ms)")
print(f"search one word (IPC+engine)  median {statistics.median(ipc):.1f} ms, max {max(ipc):.1f} ms   (target: 100 ms)")
print(f"typing to results shown        {m['search_typed_ms'] - m['search_debounce_ms']:.0f} ms after the {m['search_debounce_ms']} ms debounce")
print(f"scroll top to bottom           {s['frames']} frames, median {s['median_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms, over 50 ms: {s['over_50ms']}   (target: none)")
PY
