#!/bin/sh
# `sipdialog parse`: valid messages exit 0 and print their structure; invalid
# ones exit 1 with "error: <what> at line L, column C" on stderr; bad usage
# exits 2. Runs over the RFC 4475 / RFC 5118 torture messages of tests/torture.
#
# Usage (ctest, from the repository root): sh tests/cli/parse.sh PATH/TO/sipdialog
# POSIX sh; no network; every run of the command is bounded in time.
set -u

bin=${1:?usage: sh tests/cli/parse.sh PATH/TO/sipdialog}
case $bin in
/*) ;;
*) bin=$(pwd)/$bin ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
torture=$here/../torture
[ -x "$bin" ] || {
	echo "parse.sh: $bin is not an executable" >&2
	exit 1
}
[ -f "$torture/wsinv.dat" ] || {
	echo "parse.sh: no torture messages in $torture" >&2
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipd-parse.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if command -v timeout >/dev/null 2>&1; then
	bounded() { timeout 30 "$@"; }
else
	bounded() { "$@"; }
fi
if command -v python3 >/dev/null 2>&1; then
	have_python=1
else
	have_python=0
fi

failures=0
checks=0
fail() {
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}
ok() {
	checks=$((checks + 1))
}

# run ARGS...: runs the command; sets $rc, leaves $tmp/out and $tmp/err.
run() {
	bounded "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# run_stdin FILE ARGS...: the same with FILE on standard input.
run_stdin() {
	f=$1
	shift
	bounded "$bin" "$@" <"$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# The one line an invalid message leaves on stderr.
error_shape='^error: .* at line [1-9][0-9]*, column [1-9][0-9]*$'

expect_valid() {
	name=$1
	run parse "$torture/$name"
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit $rc, expected 0 ($(cat "$tmp/err"))"
		return
	fi
	[ -s "$tmp/out" ] || fail "$name: nothing printed"
	[ -s "$tmp/err" ] && fail "$name: unexpected stderr: $(cat "$tmp/err")"
	ok
}

# expect_invalid FILE LINE [PIECE]: exit 1, the error line, at that line.
expect_invalid() {
	name=$1
	line=$2
	piece=${3:-}
	run parse "$torture/$name"
	if [ "$rc" -ne 1 ]; then
		fail "$name: exit $rc, expected 1"
		return
	fi
	n=$(wc -l <"$tmp/err")
	[ "$n" -eq 1 ] || fail "$name: $n lines on stderr, expected 1"
	grep -q "$error_shape" "$tmp/err" || fail "$name: stderr is not the error line: $(cat "$tmp/err")"
	grep -q "at line $line, column" "$tmp/err" || fail "$name: not at line $line: $(cat "$tmp/err")"
	if [ -n "$piece" ]; then
		grep -q "$piece" "$tmp/err" || fail "$name: no '$piece' in: $(cat "$tmp/err")"
	fi
	ok
}

# -------------------------------------------------------- valid messages
for name in wsinv.dat intmeth.dat esc01.dat escnull.dat esc02.dat lwsdisp.dat longreq.dat \
	dblreq.dat semiuri.dat transports.dat mpart01.dat unreason.dat noreason.dat \
	badbranch.dat unkscm.dat novelsc.dat unksm2.dat bext01.dat invut.dat regaut01.dat \
	bcast.dat zeromf.dat cparam01.dat cparam02.dat regescrt.dat sdp01.dat inv2543.dat \
	ipv6/ipv6-good.dat ipv6/port-ambiguous.dat ipv6/port-unambiguous.dat \
	ipv6/via-received-param-with-delim.dat ipv6/via-received-param-no-delim.dat \
	ipv6/ipv6-in-sdp.dat ipv6/mult-ip-in-header.dat ipv6/mult-ip-in-sdp.dat \
	ipv6/ipv4-mapped-ipv6.dat ipv6/ipv6-bug-abnf-3-colons.dat \
	ipv6/ipv6-correct-abnf-2-colons.dat; do
	expect_valid "$name"
done

# ------------------------------------------------------ invalid messages
expect_invalid badinv01.dat 7 "header parameter"
expect_invalid clerr.dat 10 "Content-Length"
expect_invalid ncl.dat 10
expect_invalid scalar02.dat 5 "CSeq"
expect_invalid scalarlg.dat 5 "CSeq"
expect_invalid quotbal.dat 2 "quoted"
expect_invalid ltgtruri.dat 1 "Request-URI"
expect_invalid lwsruri.dat 1 "Request-URI"
expect_invalid lwsstart.dat 1
expect_invalid trws.dat 1
expect_invalid escruri.dat 1 "headers in the Request-URI"
expect_invalid baddate.dat 8 "GMT"
expect_invalid regbadct.dat 8
expect_invalid badaspec.dat 5
expect_invalid baddn.dat 4 "display name"
expect_invalid badvers.dat 1 "version"
expect_invalid mismatch01.dat 6 "CSeq method"
expect_invalid mismatch02.dat 6 "CSeq method"
expect_invalid bigcode.dat 1 "status code"
expect_invalid insuf.dat 1 "missing"
expect_invalid multi01.dat 7 "twice"
expect_invalid mcl01.dat 9 "twice"
expect_invalid test.dat 1
expect_invalid ipv6/ipv6-bad.dat 1 "host"

# The error's exact shape, for one message.
run parse "$torture/badvers.dat"
[ "$(cat "$tmp/err")" = "error: unsupported SIP version at line 1, column 34" ] ||
	fail "badvers: '$(cat "$tmp/err")'"
ok

# ------------------------------------------------------ standard input
run parse "$torture/wsinv.dat"
cp "$tmp/out" "$tmp/file.out"
run_stdin "$torture/wsinv.dat" parse -
[ "$rc" -eq 0 ] || fail "stdin '-': exit $rc"
cmp -s "$tmp/out" "$tmp/file.out" || fail "stdin '-' prints otherwise than the file"
run_stdin "$torture/wsinv.dat" parse
[ "$rc" -eq 0 ] || fail "stdin (no argument): exit $rc"
cmp -s "$tmp/out" "$tmp/file.out" || fail "stdin (no argument) prints otherwise than the file"
run_stdin "$torture/mismatch02.dat" parse -
[ "$rc" -eq 1 ] || fail "invalid on stdin: exit $rc"
grep -q "$error_shape" "$tmp/err" || fail "invalid on stdin: $(cat "$tmp/err")"
ok

# The structure: a few facts of wsinv in the text output.
for fact in 'method: INVITE' 'user: vivekg' 'tag: 1918181833n' 'branch: 390skdjuw' \
	'canonical: Max-Forwards' 'body_length: 150'; do
	grep -q "$fact" "$tmp/file.out" || fail "text output lacks '$fact'"
done
ok

# Empty input: invalid, not a crash.
: >"$tmp/empty"
run_stdin "$tmp/empty" parse -
[ "$rc" -eq 1 ] || fail "empty input: exit $rc"
grep -q "$error_shape" "$tmp/err" || fail "empty input: $(cat "$tmp/err")"
ok

# A message written with bare LF line ends and no final empty line.
printf 'OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\nFrom: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: c1\nCSeq: 1 OPTIONS\nMax-Forwards: 70\n' >"$tmp/lf.sip"
run parse "$tmp/lf.sip"
[ "$rc" -eq 0 ] || fail "LF-only message: exit $rc ($(cat "$tmp/err"))"
ok

# A few invalid messages made here, with the line of their fault.
printf 'OPTIONS * SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n' >"$tmp/star.sip"
printf 'OPTIONS sip:b@example.com SIP/2.0\r\nVia:\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n' >"$tmp/novia.sip"
printf 'OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo:\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n' >"$tmp/noto.sip"
printf 'OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nSub ject: x\r\n\r\n' >"$tmp/name.sip"
printf 'OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContact: *, <sip:a@example.com>\r\n\r\n' >"$tmp/star2.sip"
for case in star.sip:1 novia.sip:2 noto.sip:4 name.sip:7 star2.sip:7; do
	f=${case%%:*}
	line=${case#*:}
	run parse "$tmp/$f"
	[ "$rc" -eq 1 ] || fail "$f: exit $rc"
	grep -q "$error_shape" "$tmp/err" || fail "$f: $(cat "$tmp/err")"
	grep -q "at line $line," "$tmp/err" || fail "$f: not at line $line: $(cat "$tmp/err")"
	ok
done

# ---------------------------------------------------------------- JSON
json_ok() { # FILE: parses as JSON (python3), or at least looks like an object
	if [ "$have_python" -eq 1 ]; then
		python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null
	else
		head -c 1 "$1" | grep -q '{' && tail -c 2 "$1" | grep -q '}'
	fi
}
# Every torture message in JSON, valid or not; all checked by one python3.
mkdir "$tmp/json"
i=0
for f in "$torture"/*.dat "$torture"/ipv6/*.dat; do
	i=$((i + 1))
	run parse --json "$f"
	case $rc in
	0 | 1) ;;
	*) fail "--json $f: exit $rc" ;;
	esac
	cp "$tmp/out" "$tmp/json/$i.json"
	[ "$have_python" -eq 1 ] || json_ok "$tmp/out" || fail "--json $f: output is not JSON"
	ok
done
if [ "$have_python" -eq 1 ]; then
	python3 -c '
import json, sys
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        try:
            json.loads(f.read().decode("utf-8"))
        except Exception as e:
            print("%s: %s" % (name, e))
            sys.exit(1)
' "$tmp"/json/*.json || fail "--json output that is not JSON (or not UTF-8)"
fi
if [ "$have_python" -eq 1 ]; then
	run parse --json "$torture/wsinv.dat"
	python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["type"] == "request", m
assert m["method"] == "INVITE"
assert m["uri"]["host"] == "chair-dnrc.example.com"
assert m["body_length"] == 150
names = [h.get("canonical", h["name"]) for h in m["headers"]]
assert names.count("Via") == 2 and "Max-Forwards" in names, names
vias = [v for h in m["headers"] if h.get("canonical") == "Via" for v in h["values"]]
assert [v["transport"] for v in vias] == ["UDP", "TCP", "UDP"], vias
to = [h for h in m["headers"] if h.get("canonical") == "To"][0]["values"][0]
assert to["tag"] == "1918181833n", to
' <"$tmp/out" || fail "--json wsinv: wrong structure"
	ok
	run parse --json "$torture/unreason.dat"
	python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["type"] == "response" and m["status"] == 200, m
assert m["reason"].startswith("= 2**3 * 5**2 "), m["reason"]
' <"$tmp/out" || fail "--json unreason: wrong structure"
	ok
	run parse --json "$torture/mismatch02.dat"
	[ "$rc" -eq 1 ] || fail "--json mismatch02: exit $rc"
	python3 -c '
import json, sys
e = json.load(sys.stdin)
assert e["line"] == 6 and e["status"] == 501 and "CSeq" in e["error"], e
' <"$tmp/out" || fail "--json mismatch02: wrong error object"
	grep -q "$error_shape" "$tmp/err" || fail "--json mismatch02: no error line on stderr"
	ok
fi
run_stdin "$torture/esc01.dat" parse --json -
[ "$rc" -eq 0 ] || fail "--json on stdin: exit $rc"
json_ok "$tmp/out" || fail "--json on stdin: not JSON"
ok

# ------------------------------------------------------------ bad usage
run parse --bogus "$torture/wsinv.dat"
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc, expected 2"
grep -q "usage" "$tmp/err" || fail "unknown option: no usage on stderr"
ok
run parse "$torture/wsinv.dat" "$torture/esc01.dat"
[ "$rc" -eq 2 ] || fail "two inputs: exit $rc, expected 2"
[ -s "$tmp/err" ] || fail "two inputs: nothing on stderr"
ok
run
[ "$rc" -eq 2 ] || fail "no command: exit $rc, expected 2"
[ -s "$tmp/err" ] || fail "no command: nothing on stderr"
ok
run parse --help
[ "$rc" -eq 0 ] || fail "--help: exit $rc"
grep -q "usage: sipdialog parse" "$tmp/out" || fail "--help: no usage"
ok

# A file that is not there: a clear message naming it, and no parse verdict.
run parse "$tmp/no-such-file.sip"
[ "$rc" -ne 0 ] || fail "missing file: exit 0"
[ "$rc" -ne 1 ] || fail "missing file: exit 1 (reserved for invalid messages)"
grep -q "no-such-file.sip" "$tmp/err" || fail "missing file: stderr does not name it"
grep -qi "no such file" "$tmp/err" || fail "missing file: stderr does not say why"
ok
run parse "$tmp"
[ "$rc" -eq 2 ] || fail "a directory: exit $rc"
[ -s "$tmp/err" ] || fail "a directory: nothing on stderr"
ok

if [ "$failures" -ne 0 ]; then
	echo "parse.sh: $failures failure(s) in $checks checks" >&2
	exit 1
fi
echo "parse.sh: $checks checks passed"
