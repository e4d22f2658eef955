#!/usr/bin/env bash
# Installs code-server (VS Code in a browser) for the end-to-end tests, once per user and version:
# into $BIFROST_CACHE/code-server-<version>/ ($BIFROST_CACHE defaults to ~/.cache/bifrost), so every
# checkout, a clean one included, shares one install. Running it again is a no-op that takes a
# fraction of a second.
#   tools/code-server-install.sh            prints the path of code-server's entry script
#   FORCE=1 tools/code-server-install.sh    installs again from scratch
#
# Everything comes from the npm registry and Debian packages: code-server's own postinstall would
# download ripgrep, so that download is switched off and Debian's rg is linked in its place.
set -euo pipefail

VERSION=4.100.3
CACHE="${BIFROST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bifrost}"
PREFIX="$CACHE/code-server-$VERSION"
PKG="$PREFIX/node_modules/code-server"
ENTRY="$PKG/out/node/entry.js"
DONE="$PREFIX/.installed"

say() { printf 'code-server-install: %s\n' "$*" >&2; }

if [ "${FORCE:-0}" = 1 ]; then rm -rf "$PREFIX"; fi
if [ -f "$DONE" ] && [ -f "$ENTRY" ]; then
  echo "$ENTRY"
  exit 0
fi

# code-server 4.100.x runs on Node 20 only.
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" != 20 ]; then
  say "code-server $VERSION needs Node 20; this is Node $(node -v)"
  exit 1
fi

# Debian packages: Kerberos headers (a native module of code-server builds against them),
# ripgrep (search inside VS Code) and Chromium (the browser that opens the workbench).
missing=()
for p in libkrb5-dev ripgrep chromium; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing Debian packages: ${missing[*]}; install them (apt-get install -y ${missing[*]}) and run again"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

started=$(date +%s)
say "installing code-server $VERSION into $PREFIX (about a minute)"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
echo '{ "name": "code-server-for-tests", "private": true }' >"$PREFIX/package.json"
# Their output goes to stderr: stdout carries only the entry script's path.
(cd "$PREFIX" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$VERSION") >&2

# No ripgrep download: Debian's rg is linked in below.
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.allowScripts = { ...pkg.allowScripts, "@vscode/ripgrep": false };
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$PKG/lib/vscode/package.json"

# Builds the native modules (node-pty and others). Run through npm, which tells the script the
# Node version it checks; `yes` lets node-pty's `npx node-gyp` run without asking; `unsafe_perm`
# lets the scripts run as root.
(cd "$PKG" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_loglevel=error npm run --silent postinstall) >&2
(cd "$PREFIX" && npm rebuild argon2 --loglevel=error) >&2

rg_dir="$PKG/lib/vscode/node_modules/@vscode/ripgrep/bin"
mkdir -p "$rg_dir"
ln -sfn /usr/bin/rg "$rg_dir/rg"

# A config of its own would land in ~/.config: point it at a throwaway folder for the check.
scratch="$(mktemp -d)"
reported="$(XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" node "$ENTRY" --version 2>/dev/null | grep -m 1 "^$VERSION " || true)"
rm -rf "$scratch"
case "$reported" in
  "$VERSION "*) ;;
  *) say "code-server --version says \"$reported\", expected $VERSION"; exit 1 ;;
esac
touch "$DONE"
say "installed in $(( $(date +%s) - started )) s: $reported"
echo "$ENTRY"
