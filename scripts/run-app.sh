#!/usr/bin/env bash
# Sets up what is missing, builds the UI and starts the Coffer desktop app.
#   scripts/run-app.sh          the app, with your vault (COFFER_VAULT or the default)
#   scripts/run-app.sh --demo   also a throwaway local Dovecot with a demo mailbox
# With no vault or account configured yet, the demo mailbox is started too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run build)

demo=0
if [ "${1:-}" = "--demo" ]; then demo=1; shift; fi
vault="${COFFER_VAULT:-${XDG_DATA_HOME:-$HOME/.local/share}/coffer}"
if [ ! -f "$vault/vault.key" ]; then demo=1; fi

if [ "$demo" = 1 ]; then
  cargo build --release --locked -p coffer-harness --bin coffer-demo-server
  # In its own session: Ctrl+C or a closed terminal signals the app, not the
  # demo server, which stops its servers when this script ends and its
  # standard input closes.
  coproc DEMO { exec setsid target/release/coffer-demo-server; }
  read -r info <&"${DEMO[0]}"
  # The app's first run offers "Try the demo" with this account.
  export COFFER_DEMO="$info"
  field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$info" "$1"; }
  cat <<MSG

  Demo mailbox (a real Dovecot on this computer, stopped when the app closes):
    IMAP server   $(field host):$(field imaps_port)   (TLS)
    User          $(field user)
    Password      $(field password)
    CA file       $(field ca_file)
  Choose "Try the demo" to create a vault and seal it, or open the Audit
  view to see what the provider holds.

MSG
fi
cargo run --release --locked -p coffer-app -- "$@"
