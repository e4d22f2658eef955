#!/usr/bin/env bash
# Installs the Debian packages the tests talk to, when they are missing: pymodbus (an independent
# Modbus server), mbpoll (an independent Modbus client), socat (pty pairs, serial lines for the
# Modbus RTU tests), Mosquitto (the MQTT broker the Sparkplug tests publish to), openssl (the
# certificate of the WebSocket TLS test), procps (pgrep: tests that check no process is left) and
# Chromium (renders the webview). And a compiler for better-sqlite3 (store and forward), an optional
# native dependency that npm builds from source where no prebuilt binary can be downloaded: when
# `npm ci` could not build it, g++, make and python3 are installed and it is built again.
# Runs before `npm test`; does nothing when everything is there.
#
# Each check runs what the tests run, not a stand-in: the pymodbus peer is imported the way the
# integration tests start it (Debian's /usr/bin/python3; its `pymodbus.server` needs
# python3-serial-asyncio, which python3-pymodbus only recommends, so a bare `import pymodbus`
# passes where the peer fails), mbpoll is found on PATH, Chromium is started at the path the
# webview tests launch.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${BIFROST_E2E_CHROMIUM:-/usr/bin/chromium}"

pymodbus_ok() { /usr/bin/python3 -c 'import sys; sys.path.insert(0, "test/peers"); import pymodbus_server' 2>&1; }
mbpoll_ok() { command -v mbpoll >/dev/null 2>&1; }
socat_ok() { command -v socat >/dev/null 2>&1; }
openssl_ok() { command -v openssl >/dev/null 2>&1; }
pgrep_ok() { command -v pgrep >/dev/null 2>&1; }
mosquitto_ok() { command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; }
chromium_ok() { "$chromium" --version >/dev/null 2>&1; }
sqlite_ok() { node -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null 2>&1; }
# npm drops an optional package whose build failed: then it is installed again, at the version package.json names.
sqlite_build() {
  if [ -d node_modules/better-sqlite3 ]; then npm rebuild better-sqlite3 >/dev/null
  else npm install --no-save "better-sqlite3@$(node -p "require('./package.json').optionalDependencies['better-sqlite3']")" >/dev/null
  fi
}

missing=()
pymodbus_ok >/dev/null || missing+=(python3-pymodbus python3-serial python3-serial-asyncio)
mbpoll_ok || missing+=(mbpoll)
socat_ok || missing+=(socat)
mosquitto_ok || missing+=(mosquitto)
openssl_ok || missing+=(openssl)
pgrep_ok || missing+=(procps)
sqlite_ok || { command -v g++ >/dev/null && command -v make >/dev/null && command -v python3 >/dev/null; } || missing+=(g++ make python3)
if ! chromium_ok; then
  if [ -n "${BIFROST_E2E_CHROMIUM:-}" ]; then
    echo "BIFROST_E2E_CHROMIUM=$chromium does not run; point it at a working Chromium or unset it" >&2
    exit 1
  fi
  missing+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ]; then
  sqlite_ok && exit 0
  sqlite_build
  sqlite_ok || { echo "better-sqlite3 does not load, and rebuilding it did not help" >&2; exit 1; }
  exit 0
fi

echo "tests need Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install them (apt-get install -y ${missing[*]}) and run the tests again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}" >&2

# Check again: an installed package that still does not work must stop the tests here, with its
# reason, not as a timeout in the middle of a suite.
if ! out=$(pymodbus_ok); then
  echo "the pymodbus peer still does not load with /usr/bin/python3:" >&2
  echo "$out" >&2
  exit 1
fi
mbpoll_ok || { echo "mbpoll is still not on PATH" >&2; exit 1; }
socat_ok || { echo "socat is still not on PATH" >&2; exit 1; }
mosquitto_ok || { echo "mosquitto is still not installed" >&2; exit 1; }
openssl_ok || { echo "openssl is still not on PATH" >&2; exit 1; }
pgrep_ok || { echo "pgrep (procps) is still not on PATH" >&2; exit 1; }
chromium_ok || { echo "$chromium still does not run" >&2; exit 1; }
sqlite_ok || sqlite_build
sqlite_ok || { echo "better-sqlite3 still does not load (npm rebuild better-sqlite3 says why)" >&2; exit 1; }
