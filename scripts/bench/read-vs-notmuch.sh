#!/usr/bin/env bash
# Benchmark (issue 11, point 8): reading on a new device against the anchor
# `mbsync` + `notmuch`. A mailbox is sealed by one device; a second device,
# recovered from the first's recovery key, runs `coffer rebuild` (download
# every seal, open it, index it). The anchor downloads the same mailbox's
# plaintext with mbsync and indexes it with `notmuch new`. Then the same 12
# queries run in both (5 times each), and the index sizes and peak RSS are
# compared.
#   scripts/bench/read-vs-notmuch.sh [MESSAGES] [MEGABYTES]
# Targets: rebuild <= 1.0 x (mbsync + notmuch new); query p95 <= notmuch's;
# peak RSS of the rebuild <= 250 MB at 50,000 messages.
messages="${1:-5000}"
megabytes="${2:-400}"
# shellcheck source=scripts/bench/common.sh
source "$(dirname "$0")/common.sh"
command -v notmuch >/dev/null || { echo "notmuch missing: apt-get install notmuch" >&2; exit 2; }
cargo build --release --locked -p coffer-harness --bin coffer-bench-search
start_mailbox "$messages" "$megabytes" plain

# The anchor: mbsync to a Maildir, then notmuch new.
mkdir -p "$work/mail" "$work/state"
{ mbsync_account alice "$user" "$work/pass"
cat <<CFG
IMAPStore remote
Account alice

MaildirStore local
Path $work/mail/
Inbox $work/mail/INBOX
SubFolders Verbatim

Channel pull
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState $work/state/
CFG
} > "$work/mbsyncrc"
cat > "$work/notmuch-config" <<CFG
[database]
path=$work/mail
[new]
tags=unread;inbox;
[maildir]
synchronize_flags=true
CFG
export NOTMUCH_CONFIG="$work/notmuch-config"

mb="$(measure mbsync -c "$work/mbsyncrc" -a -q)"; read -r mb_s mb_kb _ _ <<< "$mb"
nm="$(measure notmuch new --quiet)"; read -r nm_s nm_kb _ _ <<< "$nm"

# Device 1 seals the mailbox (untimed); device 2 is recovered from its key.
two_devices bench

co="$(measure "${two[@]}" rebuild --json)"; read -r co_s co_kb co_u co_sys <<< "$co"
echo "coffer rebuild CPU: ${co_u} s user + ${co_sys} s sys (of ${co_s} s wall; Dovecot's own CPU is not in it)"
cp "$work/out" "$work/rebuild.json"
"${two[@]}" cache > "$work/cache.txt"

# The same queries in both languages: Coffer's, a tab, notmuch's.
cat > "$work/queries.tsv" <<'Q'
meeting	meeting
"budget review"	"budget review"
from:sender42@example.org	from:sender42@example.org
subject:invoice	subject:invoice
invoice deadline	invoice and deadline
coffee -travel	coffee and not travel
launch*	launch*
attached OR contract	attached or contract
has:attachment	tag:attachment
filename:doc.pdf	attachment:doc.pdf
is:unread	tag:unread
from:sender123@example.org quarter	from:sender123@example.org and quarter
Q
cut -f1 "$work/queries.tsv" > "$work/coffer-queries"
sync
target/release/coffer-bench-search "$work/two" "$work/pass2" "$work/coffer-queries" 5 > "$work/coffer-times"
python3 - "$work/queries.tsv" 5 > "$work/notmuch-times" <<'PY'
import subprocess, sys, time
for line in open(sys.argv[1]):
    q = line.rstrip("\n").split("\t")[1]
    times = []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        out = subprocess.run(["notmuch", "search", "--output=messages", "--limit=50", q],
                             check=True, capture_output=True).stdout
        times.append((time.perf_counter() - t0) * 1000)
    hits = len(out.splitlines())
    print(" ".join(f"{t:.3f}" for t in times) + f"\t{hits}\t{q}")
PY
start_ms="$(python3 -c '
import subprocess, time
ts = []
for _ in range(10):
    t0 = time.perf_counter(); subprocess.run(["notmuch", "--version"], capture_output=True)
    ts.append((time.perf_counter() - t0) * 1000)
print(f"{sorted(ts)[5]:.1f}")')"
stop_mailbox

db="$(du -cb "$work/two"/vault.db* | tail -n 1 | cut -f1)"
nmdb="$(du -sb "$work/mail/.notmuch" | cut -f1)"
maildir="$(du -sb --exclude=.notmuch "$work/mail" | cut -f1)"
python3 - "$messages" "$mb_s" "$mb_kb" "$nm_s" "$nm_kb" "$co_s" "$co_kb" "$db" "$nmdb" "$maildir" \
    "$work/rebuild.json" "$work/cache.txt" "$work/coffer-times" "$work/notmuch-times" "$start_ms" <<'PY'
import json, re, statistics, sys
(n, mb_s, mb_kb, nm_s, nm_kb, co_s, co_kb, db, nmdb, maildir,
 rebuild, cache, ctimes, ntimes, start_ms) = sys.argv[1:]
mb_s, nm_s, co_s = float(mb_s), float(nm_s), float(co_s)
mb_kb, nm_kb, co_kb, db, nmdb, maildir = map(int, (mb_kb, nm_kb, co_kb, db, nmdb, maildir))
r = json.load(open(rebuild))
cached = re.search(r"(\d+) bytes", open(cache).read())
cached = int(cached.group(1)) if cached else 0
mib = lambda b: b / 1024 / 1024
print(f"\n== {n} messages ==")
print(f"anchor: mbsync download {mb_s:7.2f} s (peak RSS {mib(mb_kb*1024):6.1f} MiB) "
      f"+ notmuch new {nm_s:7.2f} s (peak RSS {mib(nm_kb*1024):6.1f} MiB) = {mb_s+nm_s:7.2f} s")
print(f"coffer rebuild (download, open, index): {co_s:7.2f} s (peak RSS {mib(co_kb*1024):6.1f} MiB); "
      f"indexed {r.get('indexed')}, {r.get('bytes', 0):,} bytes downloaded")
ratio = co_s / (mb_s + nm_s)
print(f"rebuild ratio coffer/(mbsync+notmuch): {ratio:.2f} (target <= 1.0: {'met' if ratio <= 1.0 else 'NOT met'})")
rss_ok = mib(co_kb * 1024) <= 250
print(f"coffer peak RSS {mib(co_kb*1024):.1f} MiB (target <= 250 MB at 50k: {'met' if rss_ok else 'NOT met'})")
print(f"index size: coffer database {mib(db):7.1f} MiB, of which body cache ~{mib(cached):7.1f} MiB "
      f"(index without cache ~{mib(max(db-cached,0)):6.1f} MiB); notmuch database {mib(nmdb):7.1f} MiB "
      f"(+ the plaintext Maildir {mib(maildir):7.1f} MiB it needs)")
def load(path):
    rows = []
    for line in open(path):
        t, hits, q = line.rstrip("\n").split("\t", 2)
        rows.append(([float(x) for x in t.split()], int(hits), q))
    return rows
c, m = load(ctimes), load(ntimes)
print(f"\n{'query (coffer)':42} {'coffer ms':>10} {'hits':>5}   {'notmuch ms':>10} {'hits':>5}")
for (ct, ch, cq), (nt, nh, nq) in zip(c, m):
    print(f"{cq:42} {statistics.median(ct):10.2f} {ch:5}   {statistics.median(nt):10.2f} {nh:5}")
def pct(rows, p):
    xs = sorted(x for t, _, _ in rows for x in t)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
cp50, cp95, np50, np95 = pct(c, 50), pct(c, 95), pct(m, 50), pct(m, 95)
print(f"coffer (in process, vault unlocked once): p50 {cp50:.2f} ms, p95 {cp95:.2f} ms")
print(f"notmuch search (a process per query; bare start {start_ms} ms): p50 {np50:.2f} ms, p95 {np95:.2f} ms")
print(f"query p95 coffer <= notmuch: {'met' if cp95 <= np95 else 'NOT met'}")
PY
