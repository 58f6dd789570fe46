#!/usr/bin/env bash
# Benchmark: `coffer audit` against `mbsync` downloading the same mailbox
# (IMAPS on the same loopback Dovecot), in one run. Prints both times, the
# ratio and both peak RSS figures. Target: audit ≤ 0.5 × mbsync.
#   scripts/bench/audit-vs-mbsync.sh [MESSAGES] [MEGABYTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
messages="${1:-5000}"
megabytes="${2:-400}"
export PATH="$HOME/.cargo/bin:$PATH"
command -v mbsync >/dev/null || { echo "mbsync missing: apt-get install isync" >&2; exit 2; }

cargo build --release --locked -p coffer -p coffer-harness --bin coffer --bin coffer-bench-mailbox
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "generating and loading $messages messages (~$megabytes MB, sealed)..."
coproc MAILBOX { target/release/coffer-bench-mailbox "$messages" "$megabytes" sealed; }
read -r info <&"${MAILBOX[0]}"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$info" "$1"; }
host="$(field host)"; port="$(field imaps_port)"; ca="$(field ca_file)"
user="$(field user)"; pass="$(field password)"
echo "mailbox ready: $(field messages) messages, $(field stored_bytes) bytes stored"
printf '%s\n' "$pass" > "$work/pass"

mkdir -p "$work/maildir"
cat > "$work/mbsyncrc" <<CFG
# mbsync 1.4 checks DNS names only, not IP addresses: the cert names localhost.
IMAPAccount bench
Host localhost
Port $port
User $user
PassCmd "cat $work/pass"
SSLType IMAPS
CertificateFile $ca

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

measure() {
  if ! /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>&1; then
    echo "failed: $*" >&2; cat "$work/out" "$work/time" >&2; return 1
  fi
  tail -n 1 "$work/time"
}

mb="$(measure mbsync -c "$work/mbsyncrc" -a -q)"; read -r mb_s mb_kb <<< "$mb"
downloaded="$(find "$work/maildir" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)"
au="$(measure target/release/coffer audit --imap "$host:$port" --user "$user" \
    --password-file "$work/pass" --ca-file "$ca" --json "$work/report.json")"; read -r au_s au_kb <<< "$au"
audited="$(python3 -c "import json; print(json.load(open('$work/report.json'))['totals']['sealed'])")"
exec {MAILBOX[1]}>&-

python3 - "$mb_s" "$mb_kb" "$au_s" "$au_kb" "$downloaded" "$audited" <<'PY'
import sys
mb_s, mb_kb, au_s, au_kb = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"mbsync download : {mb_s:7.2f} s  peak RSS {mb_kb/1024:7.1f} MiB  ({sys.argv[5]} messages)")
print(f"coffer audit    : {au_s:7.2f} s  peak RSS {au_kb/1024:7.1f} MiB  ({sys.argv[6]} sealed)")
ratio = au_s / mb_s if mb_s else float("inf")
print(f"ratio audit/mbsync: {ratio:.3f}  (target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")
PY
