#!/bin/sh
# An INVITE flood against `sipdialog uas` on 127.0.0.1 (issue 9: overload).
#
# Usage: tests/interop/flood.sh PATH/TO/sipdialog   (ctest runs it as interop.flood)
#
# 1. A uas with caps (--max-calls, --max-transactions) and its counters every
#    second (--log-format json --stats-interval 1).
# 2. SIPp's UAC sets up HELD calls (default 20) and holds them (-d).
# 3. A flood: SIPp sends FLOOD_RATE INVITEs a second (default 4000, several
#    times what a sanitizer build sustains) for FLOOD_SECONDS (8), each sent
#    once, never acknowledged (scenarios/flood.xml). The uas answers what it
#    reads: 200 while it has room (each such call then waits 64*T1 for an ACK
#    that never comes, §13.3.1.4), 503 with Retry-After beyond its caps
#    (§21.5.4); what the kernel cannot hold for it is lost.
# 4. The held calls end with SIPp's BYE after the flood: every one must have
#    stayed up and end with 200 (SIPp exits 0).
# Checked: the held calls all succeeded (their BYEs pass the transaction cap:
# requests within a dialog have a reserve above it); the uas never had more
# calls open than --max-calls; it refused some of the flood with 503 (the
# caps acted); its peak resident memory stayed under FLOOD_MAX_RSS_MB; it is
# still alive, and a fresh call gets through once the flood's transactions
# have run out (within 90 s); SIGTERM twice (stop at once,
# calls still waiting for their ACK are dropped) ends it with status 0 (under
# the sanitizers: nothing leaked). Bounded: every SIPp run has a timeout;
# only the processes started here are ended, by their PIDs.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v sipp >/dev/null 2>&1 || { echo "flood: sipp not installed" >&2; exit 1; }
HELD=${HELD:-20}
FLOOD_RATE=${FLOOD_RATE:-4000}
FLOOD_SECONDS=${FLOOD_SECONDS:-8}
MAX_CALLS=${MAX_CALLS:-1000}
MAX_TXNS=${MAX_TXNS:-5000}
FLOOD_MAX_RSS_MB=${FLOOD_MAX_RSS_MB:-256}
work=$(mktemp -d)
pids=
cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL $*"; fail=1; }

uas_pid=
for try in 1 2 3 4 5 6; do
  port=$(( 20000 + ($$ * 11 + try * 577) % 30000 ))
  "$bin" uas --listen "udp:127.0.0.1:$port" --max-calls "$MAX_CALLS" \
    --max-transactions "$MAX_TXNS" --log-format json --stats-interval 1 \
    2>"$work/uas.log" &
  uas_pid=$!
  sleep 0.5
  kill -0 "$uas_pid" 2>/dev/null && break
  wait "$uas_pid" 2>/dev/null; uas_pid=
done
[ -n "$uas_pid" ] || { echo "flood: no uas"; cat "$work/uas.log"; exit 1; }
pids="$uas_pid"

# the held calls: up before the flood, BYE well after it
hold_ms=$(( (FLOOD_SECONDS + 6) * 1000 ))
timeout $(( FLOOD_SECONDS + 60 )) sipp "127.0.0.1:$port" -sn uac -i 127.0.0.1 -p 0 \
  -r 20 -m "$HELD" -l "$HELD" -d "$hold_ms" -nostdin -timeout_error \
  -trace_err -error_file "$work/held.err" >"$work/held.out" 2>&1 &
held_pid=$!
pids="$pids $held_pid"
sleep $(( HELD / 20 + 2 ))

timeout $(( FLOOD_SECONDS + 20 )) sipp "127.0.0.1:$port" -sf "$here/scenarios/flood.xml" \
  -i 127.0.0.1 -p 0 -r "$FLOOD_RATE" -m $(( FLOOD_RATE * FLOOD_SECONDS )) -nostdin \
  -buff_size 4194304 >"$work/flood.out" 2>&1 &
flood_pid=$!
pids="$pids $flood_pid"
wait "$flood_pid"
pids=$(echo "$pids" | sed "s/ $flood_pid\b//")

wait "$held_pid"
st=$?
pids=$(echo "$pids" | sed "s/ $held_pid\b//")
if [ "$st" = 0 ]; then
  echo "ok   held calls: all $HELD stayed up through the flood and ended with 200"
else
  bad "held calls: SIPp exited $st"; tail -20 "$work/held.err" 2>/dev/null
fi

kill -0 "$uas_pid" 2>/dev/null || bad "the uas died"
rss_kb=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$uas_pid/status")
if [ "${rss_kb:-0}" -gt 0 ] && [ "$rss_kb" -le $((FLOOD_MAX_RSS_MB * 1024)) ]; then
  echo "ok   peak memory $((rss_kb / 1024)) MB (at most $FLOOD_MAX_RSS_MB)"
else
  bad "peak memory ${rss_kb:-?} kB over $FLOOD_MAX_RSS_MB MB"
fi

# a fresh call after the flood: the uas recovers once the flood's calls gave
# up waiting for their ACK (64*T1, §13.3.1.4) and its refusals their Timer H
# (64*T1): until then a call may get 503 with Retry-After; tried every 5 s
# for at most 90 s
after=
t0=$(date +%s)
while [ $(( $(date +%s) - t0 )) -lt 90 ]; do
  if timeout 30 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$port" \
       --answer-timeout 20 >"$work/after.out" 2>&1; then
    after=$(( $(date +%s) - t0 )); break
  fi
  sleep 5
done
if [ -n "$after" ]; then
  echo "ok   a call after the flood (${after} s after it)"
else
  bad "no call got through in the 90 s after the flood"; tail -5 "$work/after.out"
fi

# stop: once (BYE to every call), then again at once
kill -TERM "$uas_pid"; sleep 1; kill -TERM "$uas_pid" 2>/dev/null
wait "$uas_pid"
st=$?
pids=
[ "$st" = 0 ] || { bad "the uas exited with $st"; grep -v '^{' "$work/uas.log" | tail -30; }

python3 - "$work/uas.log" "$MAX_CALLS" <<'PY' || fail=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cap = int(sys.argv[2])
peak = max((o.get("open", 0) for o in lines), default=0)
calls = max((o.get("calls", 0) for o in lines), default=0)
busy = max((o.get("busy", 0) for o in lines), default=0)
print(f"     uas: {calls} calls taken, at most {peak} open at once (cap {cap}), {busy} refused 503")
if peak > cap:
    print(f"FAIL more calls open than --max-calls: {peak}")
    sys.exit(1)
if busy == 0:
    print("FAIL the flood never met the cap (no 503): it proved nothing")
    sys.exit(1)
print("ok   the cap held and refused the rest of the flood with 503")
PY
exit $fail
