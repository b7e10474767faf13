#!/bin/sh
# Installs the Debian packages sipdialog needs for a goal, and only those that
# are missing. Usage: scripts/deps.sh build|test|bench|fuzz|docs
set -eu

goal=${1:-build}
pkgs="cmake make pkg-config gcc clang libclang-rt-dev libuv1-dev libssl-dev libc-ares-dev"
case "$goal" in
  build|demo) ;;
  docs) pkgs="doxygen" ;;
  test|fuzz) pkgs="$pkgs libcmocka-dev sip-tester openssl python3 dnsmasq-base" ;;
  bench) pkgs="$pkgs libcmocka-dev sip-tester valgrind gnuplot-nox libosip2-dev libsofia-sip-ua-dev libre-dev kamailio" ;;
  *) echo "deps.sh: unknown goal '$goal' (build, demo, test, bench, fuzz, docs)" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps.sh: missing Debian packages:$missing" >&2
    echo "deps.sh: run as root (or install them) and try again" >&2
    exit 1
  fi
else
  SUDO=
fi
echo "deps.sh: installing missing Debian packages for '$goal':$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
