# Shared by the benchmarks here (sourced, not run): build, a work folder, a
# loaded mailbox, and a timer that records wall time, peak RSS and CPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v mbsync >/dev/null || { echo "mbsync missing: apt-get install isync" >&2; exit 2; }

cargo build --release --locked -p coffer -p coffer-harness --bin coffer --bin coffer-bench-mailbox
work="$(mktemp -d)"
# A run's clean-up deletes thousands of mail files. For a few minutes after,
# creating files on ext4 is slower (it skips recently freed inodes), and the
# tool timed first pays: back to back, mbsync took ~15 s instead of ~7 s.
# Say so when the previous run ended less than five minutes ago.
stamp="${TMPDIR:-/tmp}/coffer-bench-last-run"
if [ -f "$stamp" ]; then
  ago=$(( $(date +%s) - $(stat -c %Y "$stamp") ))
  if [ "$ago" -lt 300 ]; then
    echo "warning: the previous benchmark ended ${ago} s ago; its clean-up can slow the" \
         "first timed command (mbsync). Leave 5 minutes between runs for comparable figures." >&2
  fi
fi
trap 'rm -rf "$work"; sync; touch "$stamp"' EXIT

# start_mailbox MESSAGES MEGABYTES plain|sealed: starts coffer-bench-mailbox
# (a loaded Dovecot) and sets host, port, ca, user, pass and $work/pass.
start_mailbox() {
  echo "generating and loading $1 messages (~$2 MB, $3)..."
  coproc MAILBOX { target/release/coffer-bench-mailbox "$1" "$2" "$3"; }
  read -r info <&"${MAILBOX[0]}"
  host="$(field host)"; port="$(field imaps_port)"; ca="$(field ca_file)"
  user="$(field user)"; pass="$(field password)"
  printf '%s\n' "$pass" > "$work/pass"
  echo "mailbox ready: $(field messages) messages, $(field stored_bytes) bytes stored"
}

# stop_mailbox: closing its stdin stops the server.
stop_mailbox() { exec {MAILBOX[1]}>&-; }

# field NAME: one field of the mailbox's JSON line.
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$info" "$1"; }

# measure CMD...: runs CMD (output in $work/out) and prints
# "wall-seconds peak-RSS-KiB user-seconds sys-seconds".
measure() {
  # Start each timed command with no dirty pages left by whatever ran
  # before (loading the corpus, a previous run's clean-up): otherwise the
  # first command pays for their writeback.
  sync
  if ! /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" > "$work/out" 2>&1; then
    echo "failed: $*" >&2; cat "$work/out" "$work/time" >&2; return 1
  fi
  tail -n 1 "$work/time"
}

# mbsync_account NAME USER PASSWORD-FILE: an mbsync IMAPAccount section for
# the loaded Dovecot. mbsync 1.4 checks DNS names only, not IP addresses: the
# certificate names localhost.
mbsync_account() {
  printf 'IMAPAccount %s\nHost localhost\nPort %s\nUser %s\nPassCmd "cat %s"\nSSLType IMAPS\nCertificateFile %s\n\n' \
    "$1" "$port" "$2" "$3" "$ca"
}

# two_devices ACCOUNT2: device 1 (vault $work/one, array "one") seals the
# loaded mailbox, untimed; device 2 (vault $work/two, array "two") is
# recovered from device 1's recovery key and adds the same account under
# the name ACCOUNT2. Neither is unlocked again by the caller's timing.
two_devices() {
  printf 'first device\n' > "$work/pass1"
  printf 'second device\n' > "$work/pass2"
  one=(target/release/coffer --vault "$work/one" --passphrase-file "$work/pass1")
  two=(target/release/coffer --vault "$work/two" --passphrase-file "$work/pass2")
  "${one[@]}" init > "$work/init.txt"
  awk '/recovery key/{getline; getline; print; exit}' "$work/init.txt" | tr -d ' ' > "$work/key"
  "${one[@]}" account add bench --imap "$host:$port" --user "$user" \
      --password-file "$work/pass" --ca-file "$ca" > /dev/null
  echo "device 1 seals the mailbox (untimed)..."
  "${one[@]}" seal --json > "$work/seal1.json"
  "${two[@]}" recover --recovery-key-file "$work/key" > /dev/null
  "${two[@]}" account add "$1" --imap "$host:$port" --user "$user" \
      --password-file "$work/pass" --ca-file "$ca" > /dev/null
}
