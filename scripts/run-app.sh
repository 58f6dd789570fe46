#!/usr/bin/env bash
# Sets up what is missing, builds the UI and starts the Coffer desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run build)
exec cargo run --release -p coffer-app -- "$@"
