#!/bin/sh
# The roles' shared output options: --log-format json prints each counter
# line as one JSON object, --stats-interval S adds periodic lines, and a bad
# value is a usage error (exit 2). Loopback only, bounded by timeout.
# Usage: tests/cli/output.sh PATH/TO/sipdialog
set -u
bin=$1
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

"$bin" uas --listen udp:127.0.0.1:0 --log-format xml >/dev/null 2>&1
[ $? = 2 ] || fail "a bad --log-format is not a usage error"
"$bin" uac --listen udp:127.0.0.1:0 --to sip:a@127.0.0.1 --stats-interval 0 >/dev/null 2>&1
[ $? = 2 ] || fail "a zero --stats-interval is not a usage error"

for try in 1 2 3 4 5 6; do
  port=$(( 20000 + ($$ * 17 + try * 389) % 30000 ))
  "$bin" uas --listen "udp:127.0.0.1:$port" --log-format json --stats-interval 1 \
    2>"$work/uas.err" &
  pid=$!
  sleep 0.3
  kill -0 "$pid" 2>/dev/null && break
  wait "$pid" 2>/dev/null; pid=
done
[ -n "$pid" ] || fail "no uas"
timeout 60 "$bin" uac --listen udp:127.0.0.1:0 --to "sip:uas@127.0.0.1:$port" --calls 25 \
  --rate 10 --log-format json --stats-interval 1 2>"$work/uac.err" || fail "uac failed"
sleep 1.2
kill -TERM "$pid"; wait "$pid" || fail "uas exit"; pid=
python3 - "$work/uac.err" "$work/uas.err" <<'PY' || fail "bad JSON lines"
import json, sys
uac = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
uas = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
assert uac[-1]["event"] == "summary" and uac[-1]["succeeded"] == 25, uac[-1]
assert any(o["event"] == "stats" for o in uac), "no periodic uac line"
assert uas[-1]["event"] == "summary" and uas[-1]["calls"] == 25 and uas[-1]["open"] == 0, uas[-1]
stats = [o for o in uas if o["event"] == "stats"]
assert len(stats) >= 2 and all(a["time"] < b["time"] for a, b in zip(stats, stats[1:])), stats
PY
echo "ok: json counters and periodic stats"
