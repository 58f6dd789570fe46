#!/usr/bin/env bash
# The package test: builds the .deb (debug build, as scripts/package.sh
# --debug), checks what it declares, that apt can install it here, installs
# it into a throwaway root, and runs the installed `coffer --version` and the
# installed app under Xvfb. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "package test: FAILED: $*" >&2; exit 1; }

bash scripts/package.sh --debug
deb=$(ls target/debug/bundle/deb/coffer_*.deb) || fail "no coffer_*.deb was made"

echo "== what the .deb declares"
dpkg-deb -f "$deb" Package Version Depends
depends=$(dpkg-deb -f "$deb" Depends)
for d in libwebkit2gtk-4.1-0 libgtk-3-0 ca-certificates; do
  grep -q "$d" <<<"$depends" || fail "Depends lacks $d"
done
contents=$(dpkg-deb -c "$deb")
for f in usr/bin/coffer usr/bin/coffer-app usr/share/applications/Coffer.desktop \
         usr/share/icons/hicolor/128x128/apps/coffer-app.png usr/share/doc/coffer/SERVICE.md; do
  grep -Eq " (\./)?$f\$" <<<"$contents" || fail "the .deb lacks /$f"
done

echo "== apt resolves its dependencies here (simulated install)"
if [ "$(id -u)" = 0 ]; then
  apt-get install -s "./$deb" | tee target/package-apt.log | grep -E '^(Inst|Conf) coffer' \
    || fail "apt-get install -s ./$(basename "$deb") would not install it (target/package-apt.log)"
else
  echo "(not root: apt's simulation skipped)"
fi

echo "== installed into a throwaway root"
root=$(mktemp -d)
home=$(mktemp -d)
trap 'rm -rf "$root" "$home"' EXIT
dpkg -x "$deb" "$root"
version=$("$root/usr/bin/coffer" --version)
echo "$version"
grep -q '^coffer [0-9]' <<<"$version" || fail "coffer --version said: $version"
grep -q '^Exec=coffer-app' "$root/usr/share/applications/Coffer.desktop" \
  || fail "the desktop entry does not start coffer-app"
grep -q '^Icon=coffer-app' "$root/usr/share/applications/Coffer.desktop" \
  || fail "the desktop entry has no icon"

echo "== the installed app starts under Xvfb"
# A fresh user: no vault, so the app shows its first-run screen and waits.
HOME="$home" COFFER_VAULT="$home/vault" timeout --kill-after=5 20 \
  xvfb-run -a --server-args="-screen 0 1024x700x24" \
  bash -c '"$1" & app=$!; sleep 8; if kill -0 $app 2>/dev/null; then echo "running after 8 s"; kill $app; wait $app 2>/dev/null; exit 0; else wait $app; echo "exited early: $?"; exit 1; fi' \
  _ "$root/usr/bin/coffer-app" || fail "the installed app did not keep running"
echo "package test: passed"
