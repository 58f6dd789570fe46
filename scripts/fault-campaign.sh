#!/usr/bin/env bash
# A longer fault campaign than the regular suite runs: connections cut at
# random byte offsets over whole sealing runs, and SIGKILL of `coffer seal`
# at random moments, each followed by re-runs to completion. Every fault is
# followed by a check that nothing is lost; every round ends converged.
#   scripts/fault-campaign.sh [ROUNDS] [KILLS] [SEED]
# (the regular suite runs 20 rounds of 10 cuts and 12 kills)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export COFFER_FAULT_ROUNDS="${1:-200}"
export COFFER_FAULT_KILLS="${2:-100}"
if [ -n "${3:-}" ]; then export COFFER_FAULT_SEED="$3"; fi
echo "campaign: $COFFER_FAULT_ROUNDS rounds x 10 cuts, $COFFER_FAULT_KILLS kills"
cargo test --locked -p coffer --test faults -- --nocapture --test-threads=2
