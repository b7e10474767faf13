#!/bin/sh
# The main job: a real call demo on 127.0.0.1. A UAS answers calls, a B2BUA
# bridges each incoming call to it, and a UAC places calls through the B2BUA,
# each with a re-INVITE (new offer), an INFO and a BYE. Prints the ladder of
# the first call as each of the three sees it, and their counters. Exits 0
# only when every call went as asked and both servers ended cleanly.
# Usage: scripts/demo.sh PATH/TO/sipdialog [CALLS]
set -u
bin=${1:-build/sipdialog}
calls=${2:-20}
work=$(mktemp -d)
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start NAME ARGS...: a server on a free port of 127.0.0.1 (tries a few);
# sets $port and $pid
start() {
  name=$1; shift
  for try in 1 2 3 4 5 6 7 8; do
    p=$(( 20000 + ($$ * 7 + try * 211 + ${#name} * 1009) % 30000 ))
    "$bin" "$name" --listen "udp:127.0.0.1:$p" --ladder "$@" \
      >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then port=$p; pids="$pids $pid"; return 0; fi
    wait "$pid" 2>/dev/null
  done
  echo "demo: could not start the $name" >&2; cat "$work/$name.err" >&2
  exit 1
}

start uas
uas_port=$port; uas_pid=$pid
start b2bua --to "sip:uas@127.0.0.1:$uas_port"
b2b_port=$port; b2b_pid=$pid

echo "uas   listening on udp:127.0.0.1:$uas_port"
echo "b2bua listening on udp:127.0.0.1:$b2b_port, bridging to the uas"
echo "uac   placing $calls calls through the b2bua (INVITE, re-INVITE, INFO, BYE)"
echo
status=0
timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:demo@127.0.0.1:$b2b_port" \
  --calls "$calls" --rate 50 --concurrency 10 --reinvite --info --ladder \
  >"$work/uac.out" 2>"$work/uac.err" || status=1

# the servers end the way a user ends them: SIGTERM, then their summary
for pair in "b2bua:$b2b_pid" "uas:$uas_pid"; do
  name=${pair%%:*}; p=${pair#*:}
  kill -TERM "$p"; wait "$p" || status=1
  pids=$(echo "$pids" | sed "s/ $p\b//")
done

echo "=== the first call, as the uac saw it"
cat "$work/uac.out"
echo
echo "=== the same call through the b2bua (caller's leg left, callee's right)"
cat "$work/b2bua.out"
echo
echo "=== as the uas saw it"
cat "$work/uas.out"
echo
echo "=== counters"
printf "uac:   "; grep -h "calls:" "$work/uac.err"; grep -h "  final\|no final" "$work/uac.err"
printf "b2bua: "; grep -h "calls:" "$work/b2bua.err"
printf "uas:   "; grep -h "requests:" "$work/uas.err"
echo
if [ $status = 0 ]; then
  echo "demo: every call went as expected"
else
  echo "demo: FAILED" >&2
  tail -20 "$work/uac.err" "$work/b2bua.err" "$work/uas.err" >&2
fi
exit $status
