#!/bin/sh
# A listener bound to every address (udp:0.0.0.0) advertises an address a
# peer can reach in Via, Contact and SDP, never 0.0.0.0: a uac calls such a
# uas and the uas's 200 must name 127.0.0.1 (the only address there is), and
# the call must end cleanly. Runs in a network namespace of its own (unshare:
# a loopback interface and nothing else), so that nothing listens beyond the
# test; skipped where namespaces cannot be made. Bounded; ends only the
# processes it started.
# Usage: tests/cli/wildcard.sh PATH/TO/sipdialog
set -u
bin=$1
if ! unshare -rn true 2>/dev/null || ! command -v ip >/dev/null 2>&1; then
  echo "skipped: cannot make a network namespace here"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
# shellcheck disable=SC2016
unshare -rn sh -c '
  bin=$1; work=$2
  ip link set lo up || exit 1
  "$bin" uas --listen udp:0.0.0.0:5070 --user root 2>"$work/uas.err" &
  uas=$!
  i=0
  while [ $i -lt 30 ] && ! grep -q "listening on" "$work/uas.err"; do sleep 0.1; i=$((i + 1)); done
  timeout 30 "$bin" uac --listen udp:127.0.0.1:0 --to sip:uas@127.0.0.1:5070 --calls 1 --user root \
    --trace >"$work/uac.out" 2>&1
  rc=$?
  kill -TERM "$uas"
  wait "$uas"
  exit $rc
' sh "$bin" "$work"
rc=$?
fail() { echo "FAIL: $*"; cat "$work/uac.out" "$work/uas.err" 2>/dev/null; exit 1; }
[ $rc = 0 ] || fail "the call did not go as asked (exit $rc)"
grep -q "^Contact: <sip:uas@127.0.0.1:5070>" "$work/uac.out" || fail "no Contact naming 127.0.0.1"
grep -q "c=IN IP4 127.0.0.1" "$work/uac.out" || fail "no SDP naming 127.0.0.1"
! grep -q "0\.0\.0\.0" "$work/uac.out" || fail "0.0.0.0 advertised"
echo "ok (a wildcard listener advertises 127.0.0.1)"
