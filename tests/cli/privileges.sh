#!/bin/sh
# The roles do not keep root without need (docs/SECURITY.md): started as
# root, a uas binds its listener (a port below 1024 too) and goes on as
# nobody, or as --user NAME; --user root keeps root; an unknown user stops
# it with a message. Not root: only the harmless part is checked.
# Loopback only, bounded; ends only the processes it started.
# Usage: tests/cli/privileges.sh PATH/TO/sipdialog
set -u
bin=$1
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null; exit 1; }

# start PORT ARGS...: a uas on udp:127.0.0.1:PORT; $pid, or empty if it
# did not stay up
start() {
  p=$1; shift
  "$bin" uas --listen "udp:127.0.0.1:$p" "$@" 2>"$work/err" &
  pid=$!
  i=0
  while [ $i -lt 20 ] && ! grep -q "listening on" "$work/err"; do sleep 0.1; i=$((i + 1)); done
  sleep 0.2
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; pid=; }
}
uid_of() { awk '$1 == "Uid:" { print $3 }' "/proc/$1/status"; }
stop() { kill -TERM "$pid"; wait "$pid" || fail "uas exit status"; pid=; }

if [ "$(id -u)" != 0 ]; then
  start 0 --user nobody
  [ -n "$pid" ] || fail "not root: --user stopped the uas"
  [ "$(uid_of "$pid")" = "$(id -u)" ] || fail "the uid changed"
  stop
  echo "ok (not root: the switch itself was not checked)"
  exit 0
fi

# a privileged port: bound as root, then root given up
port=
for p in 999 998 997 996; do
  start "$p"
  [ -n "$pid" ] && { port=$p; break; }
done
[ -n "$port" ] || fail "no uas on a port below 1024"
uid=$(uid_of "$pid")
[ "$uid" = "$(id -u nobody)" ] || fail "still uid $uid after binding, not nobody"
# and it still works: OPTIONS gets 200 (SIPp's own, when installed)
if command -v sipp >/dev/null 2>&1; then
  cat > "$work/options.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
  <send retrans="500"><![CDATA[
OPTIONS sip:uas@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:probe@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:uas@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
XML
  timeout 20 sipp "127.0.0.1:$port" -sf "$work/options.xml" -i 127.0.0.1 -p 0 -m 1 \
    -timeout 10s -timeout_error -nostdin >/dev/null 2>&1 || fail "no 200 to OPTIONS as nobody"
fi
stop

start 0 --user root
[ -n "$pid" ] || fail "--user root did not start"
[ "$(uid_of "$pid")" = 0 ] || fail "--user root gave up root"
stop

start 0 --user no-such-user-here
[ -z "$pid" ] || fail "an unknown --user did not stop the uas"
grep -q "no user 'no-such-user-here'" "$work/err" || fail "no message for an unknown --user"
echo ok
