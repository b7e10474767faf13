#!/bin/sh
# Interop: SIPp scenarios against `sipdialog uas` on 127.0.0.1, over UDP and
# TCP. Usage: tests/interop/run.sh PATH/TO/sipdialog
# Starts one uas, runs each scenario once per transport, stops the uas it
# started (by its PID). Bounded: every sipp run has a timeout.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v sipp >/dev/null 2>&1; then
  echo "interop: sipp not installed (apt-get install sip-tester)" >&2
  exit 1
fi
work=$(mktemp -d)
uas_pid=
cleanup() {
  [ -n "$uas_pid" ] && kill "$uas_pid" 2>/dev/null && wait "$uas_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A port of our own: try a few until both UDP and TCP bind.
port=
for try in 1 2 3 4 5 6 7 8; do
  p=$(( 20000 + ($$ * 7 + try * 131) % 30000 ))
  "$bin" uas --listen "udp:127.0.0.1:$p" --listen "tcp:127.0.0.1:$p" --reject 486 \
    2>"$work/uas.log" &
  uas_pid=$!
  sleep 0.3
  if kill -0 "$uas_pid" 2>/dev/null; then port=$p; break; fi
  wait "$uas_pid" 2>/dev/null; uas_pid=
done
[ -n "$port" ] || { echo "interop: could not start the uas"; cat "$work/uas.log"; exit 1; }

fail=0
for sc in options message invite486; do
  for tp in u1 t1; do
    sport=$(( port + 1 + ($$ % 50) ))
    if timeout 20 sipp 127.0.0.1:"$port" -sf "$here/scenarios/$sc.xml" -t "$tp" \
         -i 127.0.0.1 -p 0 -m 1 -timeout 10s -timeout_error -nostdin \
         -trace_err -error_file "$work/$sc-$tp.err" >"$work/$sc-$tp.out" 2>&1; then
      echo "ok   $sc over $tp"
    else
      echo "FAIL $sc over $tp"
      cat "$work/$sc-$tp.err" 2>/dev/null | tail -30; grep -a -i "error\|unexpected" "$work/$sc-$tp.out" | tail -5
      fail=1
    fi
  done
done
# Stop the uas the way a user would (SIGTERM): it must exit 0, which under
# the sanitizers also means no leak and no error.
kill -TERM "$uas_pid"
wait "$uas_pid"
st=$?
uas_pid=
if [ "$st" != 0 ]; then
  echo "FAIL uas exited with status $st"
  tail -40 "$work/uas.log"
  fail=1
fi
exit $fail
