#!/usr/bin/env bash
# Benchmark (issue 9, point 8): a vault that did not seal a mailbox — a second
# device, recovered from the first's recovery key — runs `coffer seal` twice
# over it. The first pass must open every seal once (to know it is genuine)
# and index it; the second must download no message body at all: only heads.
# Prints each pass's time, seals opened and bytes downloaded.
#   scripts/bench/recognise-seals.sh [MESSAGES] [MEGABYTES]
messages="${1:-5000}"
megabytes="${2:-400}"
# shellcheck source=scripts/bench/common.sh
source "$(dirname "$0")/common.sh"
start_mailbox "$messages" "$megabytes" plain
two_devices other-name

pass() {
  local out="$1"
  local t0 t1
  t0=$(date +%s.%N)
  "${two[@]}" seal --json > "$out"
  t1=$(date +%s.%N)
  python3 - "$out" "$t0" "$t1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
secs = float(sys.argv[3]) - float(sys.argv[2])
print(f"{sys.argv[4]}: {secs:6.2f} s  already sealed {s['already_sealed']}, sealed {s['sealed']}, "
      f"seals opened {s['seals_opened']}, bytes downloaded {s['bytes_downloaded']:,} "
      f"({s['bytes_downloaded'] / max(s['already_sealed'], 1):,.0f} per message)")
PY
}
echo "device 2 (recovered; the account named differently), two seal passes:"
pass "$work/pass-a.json" "pass 1"
pass "$work/pass-b.json" "pass 2"
python3 - "$work/pass-b.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = s["seals_opened"] == 0
print(f"second pass downloads no message body: {'met' if ok else 'NOT met'} "
      f"(only heads: {s['bytes_downloaded']:,} bytes)")
PY
stop_mailbox
