#!/usr/bin/env bash
# Installs whatever Coffer needs on Debian 12 / Ubuntu 22.04+, and nothing twice.
#   scripts/setup.sh app    build and run the desktop app
#   scripts/setup.sh test   also the mail servers, age, Xvfb and the WebDriver tools
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-app}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

app_packages=(
  build-essential pkg-config curl ca-certificates file
  libssl-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
)
# Node.js may come from elsewhere (NodeSource bundles npm, and Debian's npm
# conflicts with it): take Debian's only when there is no node at all.
if ! command -v npm >/dev/null; then app_packages+=(nodejs npm); fi
# The demo mailbox of run-app.sh is a real Dovecot (IMAP, and LMTP for the
# Postfix it sends through), so the app needs them too.
app_packages+=(dovecot-imapd dovecot-lmtpd postfix)
test_packages=(
  dovecot-lmtpd postfix age xvfb xauth webkit2gtk-driver isync time
  # The headless service: its unit checked, its passphrase from a keyring.
  systemd dbus-daemon gnome-keyring libsecret-tools
)

packages=("${app_packages[@]}")
if [ "$mode" = "test" ]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  # Postfix asks how to configure itself; the tests bring their own config.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The tests start their own servers on free ports; the system-wide ones a
  # package install may have started would only hold ports 25/143/993.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now dovecot postfix >/dev/null 2>&1 || true
  fi
fi

if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    log "installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# Vite 8 needs Node.js 20.19 or newer; Debian 12 ships 18. The npm registry
# carries Node itself as a package, so no other download site is needed.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  log "installing Node.js 20 from the npm registry (found $node_major)"
  $SUDO npm install -g node@20
  hash -r
fi

if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  log "installing UI packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund)
fi

if [ "$mode" = "test" ]; then
  if ! command -v cargo-nextest >/dev/null && ! [ -x "$HOME/.cargo/bin/cargo-nextest" ]; then
    log "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
  if ! tauri-driver --help >/dev/null 2>&1 || ! cargo install --list | grep -q '^tauri-driver v2.1.0'; then
    log "installing tauri-driver 2.1.0"
    cargo install tauri-driver --version 2.1.0 --locked
  fi
fi
log "setup done ($mode)"
