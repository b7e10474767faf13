#!/bin/sh
# The examples (examples/*.c, on include/sipdialog/app.h alone) together on
# 127.0.0.1: the uas answers, the b2bua bridges to it, the uac calls through
# the b2bua, puts the call on hold and off again (two re-INVITEs), sends an
# INFO and hangs up. The uac must succeed, the uas must have seen the hold,
# the unhold and the BYE, and both servers must exit after that one call.
# Usage: tests/cli/examples.sh PATH/TO/sipdialog (the examples are built next
# to it, in examples/)
set -u
dir=$(dirname "$1")/examples
for x in uas uac b2bua; do
  [ -x "$dir/$x" ] || { echo "examples: $dir/$x is not built" >&2; exit 1; }
done
work=$(mktemp -d)
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
  echo "examples: $*" >&2
  for f in "$work"/*.out; do echo "=== $f" >&2; cat "$f" >&2; done
  exit 1
}

# start NAME ARGS...: a server on a free port (it binds port 0 and says which);
# sets $port and $pid
start() {
  name=$1; shift
  timeout 30 "$dir/$name" "$@" >"$work/$name.out" 2>&1 &
  pid=$!
  pids="$pids $pid"
  port=
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    port=$(sed -n 's/^listening on 127\.0\.0\.1 port \([0-9][0-9]*\)$/\1/p' "$work/$name.out")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "the $name did not start"
}

# wait_for PID NAME: the server exits by itself (after its one call), in time
wait_for() {
  if ! wait "$1"; then fail "the $2 did not exit cleanly"; fi
  pids=$(echo "$pids" | sed "s/ $1\$//; s/ $1 / /")
}

start uas udp:127.0.0.1:0 1
uas_pid=$pid; uas_port=$port
start b2bua "sip:uas@127.0.0.1:$uas_port" udp:127.0.0.1:0 1
b2b_pid=$pid; b2b_port=$port

timeout 30 "$dir/uac" "sip:demo@127.0.0.1:$b2b_port" udp:127.0.0.1:0 >"$work/uac.out" 2>&1 ||
  fail "the uac's call did not go as planned"
wait_for "$b2b_pid" b2bua
wait_for "$uas_pid" uas

grep -q "^uac: on hold$" "$work/uac.out" || fail "uac: no hold"
grep -q "^uac: off hold$" "$work/uac.out" || fail "uac: no unhold"
grep -q "^uac: call ended: local$" "$work/uac.out" || fail "uac: not ended by its BYE"
grep -q ": put on hold$" "$work/uas.out" || fail "uas: the hold was not seen"
grep -q ": taken off hold$" "$work/uas.out" || fail "uas: the unhold was not seen"
[ "$(grep -c ': INVITE with an offer$' "$work/uas.out")" = 2 ] ||
  fail "uas: two re-INVITEs expected"
grep -q "ended: remote-bye$" "$work/uas.out" || fail "uas: the call did not end with BYE"
grep -q "^uas: calls 1, answered 1" "$work/uas.out" || fail "uas: counters"
grep -q "^b2bua: calls 1, answered 1, failed 0$" "$work/b2bua.out" || fail "b2bua: counters"
echo "examples: a call through the b2bua with hold, unhold, INFO and BYE"
exit 0
