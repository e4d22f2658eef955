#!/usr/bin/env bash
# Installs the Debian packages the tests talk to, when they are missing: pymodbus (an independent
# Modbus server), mbpoll (an independent Modbus client) and Chromium (renders the webview).
# Runs before `npm test`; does nothing when everything is there.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1 || missing+=(python3-pymodbus python3-serial)
command -v mbpoll >/dev/null 2>&1 || missing+=(mbpoll)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tests need Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install them (apt-get install -y ${missing[*]}) and run the tests again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}" >&2
