#!/usr/bin/env bash
# Builds Coffer's packages with the Tauri bundler: a .deb (the app, the
# `coffer` command, icons, a desktop entry, the docs) and an AppImage where
# the bundler can fetch its tools. Usage: scripts/package.sh [--debug]
# (--debug packs the debug build, as the test suite does, to save a release
# build). Prints the paths of what it made; they land in
# target/{release,debug}/bundle/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export npm_config_update_notifier=false

profile=release
tauri_flags=()
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  tauri_flags+=(--debug)
fi
cargo_flags=()
[ "$profile" = release ] && cargo_flags+=(--release)

# The app embeds ui/dist; the .deb carries the `coffer` command beside it.
(cd ui && npm run build >/dev/null)
cargo build --locked -p coffer --bin coffer "${cargo_flags[@]}"
files_override="{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/coffer\":\"../target/$profile/coffer\"}}}}}"

bundle_dir="target/$profile/bundle"
rm -rf "$bundle_dir/deb" "$bundle_dir/appimage"
tauri() { (cd src-tauri && ../ui/node_modules/.bin/tauri "$@"); }
# The bundler's progress bar redraws one line; the log keeps whole lines.
tauri build "${tauri_flags[@]}" --bundles deb --config "$files_override" 2>&1 \
  | tr '\r' '\n' | grep -av '^[[:space:]]*$' || true
[ -n "$(ls "$bundle_dir"/deb/*.deb 2>/dev/null)" ] || { echo "package.sh: no .deb was made" >&2; exit 1; }
# Debian's own file name (coffer_VERSION_ARCH.deb), as `apt install
# ./coffer_*.deb` expects, not the bundler's product-name one.
made=$(ls "$bundle_dir"/deb/*.deb)
deb="$bundle_dir/deb/$(dpkg-deb -f "$made" Package)_$(dpkg-deb -f "$made" Version)_$(dpkg-deb -f "$made" Architecture).deb"
[ "$made" = "$deb" ] || mv "$made" "$deb"
echo "deb: $deb"

# The AppImage bundler downloads linuxdeploy from GitHub; where that is not
# reachable (this project's CI), say so instead of failing the .deb.
if timeout 900 bash -c 'cd src-tauri && ../ui/node_modules/.bin/tauri "$@"' _ build "${tauri_flags[@]}" --bundles appimage --config "$files_override" >"target/appimage-build.log" 2>&1; then
  echo "appimage: $(ls "$bundle_dir"/appimage/*.AppImage)"
else
  echo "appimage: NOT BUILT — the Tauri AppImage bundler could not run (see target/appimage-build.log; it downloads linuxdeploy from github.com)" >&2
fi
