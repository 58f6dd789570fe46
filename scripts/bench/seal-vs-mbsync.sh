#!/usr/bin/env bash
# Benchmark: `coffer seal` (with full verification) against `mbsync` copying
# the same mailbox IMAP-to-IMAP on the same loopback Dovecot, in one run.
# Prints both times, the ratio and both peak RSS figures.
# Targets: coffer ≤ 1.5 × mbsync's time; coffer peak RSS ≤ 200 MB.
#   scripts/bench/seal-vs-mbsync.sh [MESSAGES] [MEGABYTES]
messages="${1:-5000}"
megabytes="${2:-400}"
# shellcheck source=scripts/bench/common.sh
source "$(dirname "$0")/common.sh"
start_mailbox "$messages" "$megabytes" plain
other="$(field other_user)"; other_pass="$(field other_password)"
printf '%s\n' "$other_pass" > "$work/other-pass"
printf 'bench passphrase\n' > "$work/passphrase"
mkdir -p "$work/state"

# mbsync copies alice's INBOX into bob's, both on the same server.
{ mbsync_account alice "$user" "$work/pass"; mbsync_account bob "$other" "$work/other-pass"
cat <<CFG
IMAPStore from
Account alice

IMAPStore to
Account bob

Channel copy
Far :from:INBOX
Near :to:INBOX
Sync Pull
SyncState $work/state/
CFG
} > "$work/mbsyncrc"


coffer=(target/release/coffer --vault "$work/vault" --passphrase-file "$work/passphrase")
"${coffer[@]}" init > /dev/null
"${coffer[@]}" account add bench --imap "$host:$port" --user "$user" \
    --password-file "$work/pass" --ca-file "$ca" > /dev/null

mb="$(measure mbsync -c "$work/mbsyncrc" -a -q)"; read -r mb_s mb_kb mb_u mb_sys <<< "$mb"
# COFFER_SEAL_ARGS passes extra options (e.g. "--workers 4") for experiments.
co="$(measure "${coffer[@]}" seal --account bench --json ${COFFER_SEAL_ARGS:-})"; read -r co_s co_kb co_u co_sys <<< "$co"
summary="$(grep -v '^ *$' "$work/out" | tail -n 50)"
stop_mailbox

echo "CPU seconds (user+sys): mbsync $mb_u+$mb_sys, coffer $co_u+$co_sys (Dovecot's own CPU is in neither)"
python3 - "$mb_s" "$mb_kb" "$co_s" "$co_kb" "$messages" <<'PY'
import sys
mb_s, mb_kb, co_s, co_kb = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"mbsync IMAP->IMAP copy : {mb_s:7.2f} s  peak RSS {mb_kb/1024:7.1f} MiB")
print(f"coffer seal (verified) : {co_s:7.2f} s  peak RSS {co_kb/1024:7.1f} MiB")
ratio = co_s / mb_s if mb_s else float("inf")
print(f"ratio coffer/mbsync: {ratio:.3f}  (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'}); "
      f"RSS target <= 200 MB: {'met' if co_kb/1024 <= 200 else 'NOT met'}")
PY
echo "coffer's summary:"; echo "$summary" | tail -n 20
