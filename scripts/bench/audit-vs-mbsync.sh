#!/usr/bin/env bash
# Benchmark: `coffer audit` against `mbsync` downloading the same mailbox
# (IMAPS on the same loopback Dovecot), in one run. Prints both times, the
# ratio and both peak RSS figures. Target: audit ≤ 0.5 × mbsync. The audit
# runs as users run it (structure sampled), then with --full.
#   scripts/bench/audit-vs-mbsync.sh [MESSAGES] [MEGABYTES]
messages="${1:-5000}"
megabytes="${2:-400}"
# shellcheck source=scripts/bench/common.sh
source "$(dirname "$0")/common.sh"
start_mailbox "$messages" "$megabytes" sealed

mkdir -p "$work/maildir"
{ mbsync_account bench "$user" "$work/pass"
cat <<CFG
IMAPStore remote
Account bench

MaildirStore local
Path $work/maildir/
Inbox $work/maildir/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
CFG
} > "$work/mbsyncrc"


mb="$(measure mbsync -c "$work/mbsyncrc" -a -q)"; read -r mb_s mb_kb _ _ <<< "$mb"
downloaded="$(find "$work/maildir" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)"
audit() {
  measure target/release/coffer audit --imap "$host:$port" --user "$user" \
      --password-file "$work/pass" --ca-file "$ca" --json "$work/report.json" "$@"
}
au="$(audit)"; read -r au_s au_kb _ _ <<< "$au"
audited="$(python3 -c "import json; print(json.load(open('$work/report.json'))['totals']['sealed'])")"
full="$(audit --full)"; read -r full_s full_kb _ _ <<< "$full"
stop_mailbox

python3 - "$mb_s" "$mb_kb" "$au_s" "$au_kb" "$downloaded" "$audited" "$full_s" "$full_kb" <<'PY'
import sys
mb_s, mb_kb, au_s, au_kb = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
full_s, full_kb = float(sys.argv[7]), int(sys.argv[8])
print(f"mbsync download      : {mb_s:7.2f} s  peak RSS {mb_kb/1024:7.1f} MiB  ({sys.argv[5]} messages)")
print(f"coffer audit         : {au_s:7.2f} s  peak RSS {au_kb/1024:7.1f} MiB  ({sys.argv[6]} sealed, structure sampled)")
print(f"coffer audit --full  : {full_s:7.2f} s  peak RSS {full_kb/1024:7.1f} MiB  (every byte)")
ratio = au_s / mb_s if mb_s else float("inf")
print(f"ratio audit/mbsync: {ratio:.3f}  (target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'}); "
      f"--full/mbsync: {full_s / mb_s if mb_s else float('inf'):.3f}")
PY
