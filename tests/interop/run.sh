#!/bin/sh
# Interop on 127.0.0.1, over UDP and TCP: SIPp scenarios against
# `sipdialog uas`; `sipdialog uac` against SIPp as the callee (its built-in
# UAS and scenarios of ours) and against `sipdialog uas`.
# Usage: tests/interop/run.sh PATH/TO/sipdialog
# Starts two uas (one rejecting INVITE with 486, one taking calls), runs each
# scenario once per transport, and stops the uas it started (by their PIDs),
# which must exit 0 (under the sanitizers: no leak, no error). Bounded: every
# sipp and uac run has a timeout.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v sipp >/dev/null 2>&1; then
  echo "interop: sipp not installed (apt-get install sip-tester)" >&2
  exit 1
fi
work=$(mktemp -d)
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start_uas NAME ARGS...: a uas on a port of its own (UDP and TCP); sets $port
# and $pid. Tries a few ports until both bind.
start_uas() {
  name=$1; shift
  port=
  for try in 1 2 3 4 5 6 7 8; do
    p=$(( 20000 + ($$ * 7 + try * 131 + ${#name} * 977) % 30000 ))
    "$bin" uas --listen "udp:127.0.0.1:$p" --listen "tcp:127.0.0.1:$p" "$@" \
      2>"$work/$name.log" &
    pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then port=$p; pids="$pids $pid"; return 0; fi
    wait "$pid" 2>/dev/null
  done
  echo "interop: could not start the $name uas"; cat "$work/$name.log"
  exit 1
}

# run NAME PORT SIPP-ARGS...: one sipp run, reported
fail=0
run() {
  name=$1; p=$2; shift 2
  if timeout 30 sipp 127.0.0.1:"$p" "$@" -i 127.0.0.1 -p 0 -m 1 -timeout 15s \
       -timeout_error -nostdin -trace_err -error_file "$work/$name.err" \
       >"$work/$name.out" 2>&1; then
    echo "ok   $name"
  else
    echo "FAIL $name"
    tail -30 "$work/$name.err" 2>/dev/null
    grep -a -i "error\|unexpected" "$work/$name.out" | tail -5
    fail=1
  fi
}

start_uas reject --reject 486
reject_port=$port; reject_pid=$pid
start_uas calls --notify presence --accept-refer
calls_port=$port; calls_pid=$pid
start_uas auth --auth alice:s3cret --auth-algs MD5 --registrar
auth_port=$port; auth_pid=$pid
start_uas auth_sha --auth alice:s3cret
auth_sha_port=$port; auth_sha_pid=$pid
start_uas ring --ring 5000
ring_port=$port; ring_pid=$pid
start_uas rel --100rel
rel_port=$port; rel_pid=$pid
# prack.xml with Supported: 100rel instead of Require: the uas with --100rel
# must still send its provisional reliably (RFC 3262 §3)
sed 's/^\( *\)Require: 100rel/\1Supported: 100rel/' "$here/scenarios/prack.xml" \
  >"$work/prack_supported.xml"

for tp in u1 t1; do
  for sc in options message invite486; do
    run "$sc-$tp" "$reject_port" -sf "$here/scenarios/$sc.xml" -t "$tp"
  done
  run "call_bad_cseq-$tp" "$calls_port" -sf "$here/scenarios/call_bad_cseq.xml" -t "$tp"
  run "reinvite_update-$tp" "$calls_port" -sf "$here/scenarios/reinvite_update.xml" -t "$tp"
  run "prack-$tp" "$calls_port" -sf "$here/scenarios/prack.xml" -t "$tp"
  run "prack_supported-$tp" "$rel_port" -sf "$work/prack_supported.xml" -t "$tp"
  run "cancel-$tp" "$ring_port" -sf "$here/scenarios/cancel.xml" -t "$tp"
  run "info-$tp" "$calls_port" -sf "$here/scenarios/info.xml" -t "$tp"
  run "subscribe-$tp" "$calls_port" -sf "$here/scenarios/subscribe.xml" -t "$tp"
  # the transfer target: this same uas, reached over UDP (it calls itself)
  run "refer-$tp" "$calls_port" -sf "$here/scenarios/refer.xml" -t "$tp" -key target_port "$calls_port"

  # SIPp's digest is MD5 only: that uas offers MD5 alone
  run "invite_auth-$tp" "$auth_port" -sf "$here/scenarios/invite_auth.xml" -t "$tp"
  run "register_auth-$tp" "$auth_port" -sf "$here/scenarios/register_auth.xml" -t "$tp"
  # SIPp's own UAC: INVITE, 100/180/200, ACK, BYE, 200
  run "sipp_uac-$tp" "$calls_port" -sn uac -t "$tp" -d 200
done

# uac_sipp NAME TP MIN_MS SIPP-ARGS... -- UAC-ARGS...: SIPp as the callee on
# a port of its own, `sipdialog uac` calling it; both must succeed, and the
# uac run must last at least MIN_MS (a back-off that has to happen).
uac_sipp() {
  name=$1; tp=$2; min_ms=$3; shift 3
  sargs=
  while [ "$1" != "--" ]; do sargs="$sargs $1"; shift; done
  shift
  p=$(( 20000 + ($$ * 13 + ${#name} * 1931 + 1$(date +%N | cut -c1-4)) % 30000 ))
  transport=udp; linger=0
  # over TCP, SIPp fails a call whose connection closes as it ends it
  [ "$tp" = t1 ] && { transport=tcp; linger=300; }
  # shellcheck disable=SC2086
  timeout 40 sipp $sargs -i 127.0.0.1 -p "$p" -t "$tp" -m 1 -nostdin \
    -trace_err -error_file "$work/$name.err" >"$work/$name.sipp" 2>&1 &
  spid=$!
  sleep 0.5
  t0=$(date +%s%N)
  timeout 40 "$bin" uac --listen "$transport:127.0.0.1:0" \
    --to "sip:sipp@127.0.0.1:$p;transport=$transport" --answer-timeout 10 --linger "$linger" "$@" \
    >"$work/$name.uac" 2>&1
  ust=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  wait "$spid"
  sst=$?
  if [ "$ust" = 0 ] && [ "$sst" = 0 ] && [ "$ms" -ge "$min_ms" ]; then
    echo "ok   $name (${ms} ms)"
  else
    echo "FAIL $name: uac $ust, sipp $sst, ${ms} ms (at least $min_ms)"
    tail -20 "$work/$name.uac"; tail -20 "$work/$name.err" 2>/dev/null
    fail=1
  fi
}

for tp in u1 t1; do
  if [ "$tp" = u1 ]; then
    uac_sipp "uac_sipp_uas-$tp" "$tp" 0 -sn uas -- --calls 1
  else
    uac_sipp "uac_basic-$tp" "$tp" 0 -sf "$here/scenarios/uas_basic.xml" -- --calls 1
  fi
  uac_sipp "uac_prack-$tp" "$tp" 0 -sf "$here/scenarios/uas_prack.xml" -- --calls 1
  # two forks ring, the second answers and its 200 comes twice: two ACKs
  uac_sipp "uac_forked-$tp" "$tp" 0 -sf "$here/scenarios/uas_forked.xml" -- --duration 1000
  # RFC 3261 §14.1: we own the Call-ID, so the retry waits 2.1 to 4 s
  uac_sipp "uac_glare-$tp" "$tp" 2100 -sf "$here/scenarios/uas_glare.xml" -- --reinvite
  # RFC 4028 §7.3: 422 with Min-SE, then a new INVITE asking for it
  uac_sipp "uac_422-$tp" "$tp" 0 -sf "$here/scenarios/uas_422.xml" -- --session-expires 90
  # the callee transfers the call (REFER) to the calls uas, then hangs up:
  # the uac places the referred call and reports it in NOTIFYs
  uac_sipp "uac_accept_refer-$tp" "$tp" 0 -sf "$here/scenarios/uas_refer.xml" \
    -key target_port "$calls_port" -- --accept-refer --duration 8000
done

# b2bua ROLE TARGET_PORT: a b2bua on a port of its own, bridging to a uas
start_b2bua() {
  name=$1; tport=$2; shift 2
  port=
  for try in 1 2 3 4 5 6 7 8; do
    p=$(( 20000 + ($$ * 11 + try * 173 + ${#name} * 1613) % 30000 ))
    "$bin" b2bua --listen "udp:127.0.0.1:$p" --listen "tcp:127.0.0.1:$p" \
      --to "sip:uas@127.0.0.1:$tport" "$@" 2>"$work/$name.log" &
    pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then port=$p; pids="$pids $pid"; return 0; fi
    wait "$pid" 2>/dev/null
  done
  echo "interop: could not start the $name b2bua"; cat "$work/$name.log"
  exit 1
}
start_b2bua b2b_calls "$calls_port"
b2b_calls_port=$port; b2b_calls_pid=$pid
start_b2bua b2b_reject "$reject_port"
b2b_reject_port=$port; b2b_reject_pid=$pid
# a callee that challenges (digest): the b2bua answers with its own
# credentials (RFC 3261 §22.2), the caller never sees the 401
start_b2bua b2b_auth "$auth_sha_port" --auth alice:s3cret
b2b_auth_port=$port; b2b_auth_pid=$pid
start_b2bua b2b_ring "$ring_port"
b2b_ring_port=$port; b2b_ring_pid=$pid

# SIPp calling through the b2bua (the uas behind it): a failure relayed, a
# call with re-INVITE and UPDATE relayed both ways, SIPp's own UAC
for tp in u1 t1; do
  run "b2bua_invite486-$tp" "$b2b_reject_port" -sf "$here/scenarios/invite486.xml" -t "$tp"
  run "b2bua_reinvite_update-$tp" "$b2b_calls_port" -sf "$here/scenarios/reinvite_update.xml" -t "$tp"
  run "b2bua_sipp_uac-$tp" "$b2b_calls_port" -sn uac -t "$tp" -d 200
  run "b2bua_auth-$tp" "$b2b_auth_port" -sn uac -t "$tp" -d 200
  run "b2bua_cancel-$tp" "$b2b_ring_port" -sf "$here/scenarios/cancel.xml" -t "$tp"
  # RFC 3262 end to end: the caller requires 100rel, so the b2bua requires it
  # of the callee; the reliable 183 is PRACKed on both legs
  run "b2bua_prack-$tp" "$b2b_calls_port" -sf "$here/scenarios/prack.xml" -t "$tp"
done
# the uac through the b2bua, every in-call request it knows
name=uac_b2bua_uas
if timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$b2b_calls_port" \
     --calls 20 --rate 100 --reinvite --update --info --hold --answer-timeout 10 \
     >"$work/$name.uac" 2>&1; then
  echo "ok   $name"
else
  echo "FAIL $name"; tail -20 "$work/$name.uac"; fail=1
fi

# user probing (sipvicious-style): a known user with a wrong password and an
# unknown user must get the same answers, line for line, once the values that
# are random by design (nonce, tags, branch, Call-ID) and the names are masked
probe() {
  # a port of its own: SIPp's -p 0 is 5060, where late retransmissions meant
  # for the runs before could land in this run's trace
  pp=$(( 20000 + ($$ * 29 + ${#1} * 2477 + 1$(date +%N | cut -c1-4)) % 30000 ))
  timeout 30 sipp 127.0.0.1:"$auth_port" -sf "$here/scenarios/register_probe.xml" -s "$1" \
    -au "$1" -ap guess -i 127.0.0.1 -p "$pp" -m 1 -timeout 15s -timeout_error -nostdin \
    -trace_msg -message_file "$work/probe-$1.msg" >/dev/null 2>&1 || return 1
  # the responses received, masked
  awk '/message received/ {r=1; next} /message sent/ {r=0} r' "$work/probe-$1.msg" |
    sed -e "s/$1/USER/g" -e 's/tag=[^;>]*/tag=T/g' -e 's/nonce="[^"]*"/nonce=N/g' \
        -e 's/branch=[^;]*/branch=B/g' -e 's/^Call-ID:.*/Call-ID: C/' -e '/^---/d' \
        -e 's|^Via: SIP/2.0/UDP [^;]*|Via: SIP/2.0/UDP H|' \
    >"$work/probe-$1.masked"
}
if probe alice && probe mallory && [ -s "$work/probe-alice.masked" ] &&
   cmp -s "$work/probe-alice.masked" "$work/probe-mallory.masked"; then
  echo "ok   user_probe (known and unknown users answered alike)"
else
  echo "FAIL user_probe"; diff "$work/probe-alice.masked" "$work/probe-mallory.masked"; fail=1
fi

# digest between our own roles (SHA-512-256 first, RFC 8760): the right
# password gets the call, a wrong one 403 and a failed run
name=uac_auth
if timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$auth_sha_port" \
     --calls 3 --auth alice:s3cret --info >"$work/$name.uac" 2>&1; then
  echo "ok   $name"
else
  echo "FAIL $name"; tail -20 "$work/$name.uac"; fail=1
fi
name=uac_auth_wrong
if timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$auth_sha_port" \
     --calls 1 --auth alice:wrong >"$work/$name.uac" 2>&1; then
  echo "FAIL $name: a wrong password got through"; fail=1
elif grep -q "final 403: 1" "$work/$name.uac"; then
  echo "ok   $name"
else
  echo "FAIL $name"; tail -20 "$work/$name.uac"; fail=1
fi

# a transfer between our roles (RFC 3515): the uas accepts the REFER, calls
# the target (itself) and reports it; the uac's step succeeds on the final
# sipfrag 200. Refused by a uas that does not take REFER: the run fails.
name=uac_refer
if timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$calls_port" \
     --calls 3 --refer "sip:target@127.0.0.1:$calls_port" >"$work/$name.uac" 2>&1; then
  echo "ok   $name"
else
  echo "FAIL $name"; tail -20 "$work/$name.uac"; fail=1
fi
name=uac_refer_refused
if timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$ring_port" \
     --calls 1 --refer "sip:target@127.0.0.1:$calls_port" >"$work/$name.uac" 2>&1; then
  echo "FAIL $name: a refused REFER counted as a transfer"; fail=1
else
  echo "ok   $name"
fi

# sipdialog against itself: every in-call request the uac knows, 20 calls
for transport in udp tcp; do
  name="uac_uas-$transport"
  if timeout 60 "$bin" uac --listen "$transport:127.0.0.1:0" \
       --to "sip:uas@127.0.0.1:$calls_port;transport=$transport" --calls 20 --rate 100 \
       --reinvite --update --info --message --hold --answer-timeout 10 >"$work/$name.uac" 2>&1; then
    echo "ok   $name"
  else
    echo "FAIL $name"; tail -20 "$work/$name.uac"; fail=1
  fi
done

# Stop the uas the way a user would (SIGTERM): each must exit 0, which under
# the sanitizers also means no leak and no error.
for pair in "b2b_calls:$b2b_calls_pid" "b2b_reject:$b2b_reject_pid" "b2b_auth:$b2b_auth_pid" \
            "b2b_ring:$b2b_ring_pid" "reject:$reject_pid" \
            "calls:$calls_pid" "auth:$auth_pid" "auth_sha:$auth_sha_pid" "ring:$ring_pid" "rel:$rel_pid"; do
  name=${pair%%:*}; p=${pair#*:}
  kill -TERM "$p"
  wait "$p"
  st=$?
  pids=$(echo "$pids" | sed "s/ $p\b//")
  if [ "$st" != 0 ]; then
    echo "FAIL $name exited with status $st"
    tail -40 "$work/$name.log"
    fail=1
  fi
done
grep -h "requests:\|calls:" "$work/reject.log" "$work/calls.log" "$work/b2b_calls.log"
exit $fail
