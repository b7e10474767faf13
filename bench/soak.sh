#!/bin/sh
# bench/soak.sh — a soak test: a steady high call rate, for a long time, through
# `sipdialog uas`, and at the same time through `sipdialog b2bua` in front of
# a second uas; memory and counters sampled as it goes.
#
# Usage: bench/soak.sh PATH/TO/sipdialog
#
#   make && bench/soak.sh build/sipdialog                 # 45 s + 600 s
#   SOAK_QUICK=1 bench/soak.sh build/sipdialog            # 45 s + 30 s
#
# Use an optimised build without sanitizers (`make` builds one in build/):
# AddressSanitizer keeps freed memory in quarantine, so RSS under it says
# little about leaks. Needs SIPp (apt-get install sip-tester). Not part of
# `make test` (too long). Everything runs on 127.0.0.1; only the processes
# started here are stopped, by their PIDs, and every wait is bounded.
#
# Two SIPp UACs (-sn uac: INVITE, 180, 200, ACK, pause, BYE, 200) run at
# SOAK_RATE calls per second each for SOAK_WARMUP then SOAK_SECONDS: one
# calls the uas, the other the b2bua (which bridges each call to its own
# uas). The warm-up is what it takes for the servers to reach their steady
# state: over UDP a transaction outlives its call by 64*T1 = 32 s (Timer J
# for the BYE, RFC 3261 §17.2.2; Timer L for the 2xx to INVITE, RFC 6026), so
# memory rises for the first 32 s plus a call's length whatever the code,
# and only a rise after that says something. Every SOAK_SAMPLE seconds the
# script samples the resident memory of the three servers (/proc/PID/status,
# VmRSS) and their counters (--stats-interval). It fails when:
#   - SIPp reports a failed call, or did not place every call;
#   - a server's RSS grows by more than SOAK_RSS_GROWTH_KB from the end of
#     the warm-up (SOAK_WARMUP seconds) to its highest sample after it;
#   - calls are left open at the end: each server's counters must come back
#     to "open: 0" within 70 s after SIPp ends (64*T1 covers every RFC timer
#     a call can still wait for), and SIGTERM must then stop it at once with
#     exit status 0 and "open: 0" in its summary.
# It prints a results section in Markdown (the benchmark owner folds it into
# BENCHMARKS.md) and also writes it to SOAK_OUT when that is set.
#
# Knobs, from the environment:
#   SOAK_SECONDS        how long the calls go on after the warm-up (600;
#                       SOAK_QUICK=1: 30)
#   SOAK_RATE           new calls per second, each path (200)
#   SOAK_CALL_MS        how long each call stays up before SIPp's BYE (1000)
#   SOAK_SAMPLE         seconds between samples (5; SOAK_QUICK=1: 2)
#   SOAK_WARMUP         seconds of load before the RSS reference (45)
#   SOAK_RSS_GROWTH_KB  RSS growth allowed after the warm-up, per server (8192)
#   SOAK_OUT            a file to write the results section to too
#   SOAK_TITLE          the section's title ("Soak"), SOAK_NOTE a line under it
set -u

[ $# -eq 1 ] || { echo "usage: bench/soak.sh PATH/TO/sipdialog" >&2; exit 2; }
bin=$1
[ -x "$bin" ] || { echo "soak: $bin is not an executable" >&2; exit 2; }
command -v sipp >/dev/null 2>&1 || { echo "soak: sipp not installed (apt-get install sip-tester)" >&2; exit 2; }

if [ "${SOAK_QUICK:-0}" = 1 ]; then
	seconds=${SOAK_SECONDS:-30}
	sample=${SOAK_SAMPLE:-2}
else
	seconds=${SOAK_SECONDS:-600}
	sample=${SOAK_SAMPLE:-5}
fi
rate=${SOAK_RATE:-200}
call_ms=${SOAK_CALL_MS:-1000}
warmup=${SOAK_WARMUP:-45}
growth_kb=${SOAK_RSS_GROWTH_KB:-8192}
for v in "$seconds" "$rate" "$call_ms" "$sample" "$warmup" "$growth_kb"; do
	case $v in '' | *[!0-9]*) echo "soak: the SOAK_* knobs are whole numbers" >&2; exit 2 ;; esac
done
[ "$sample" -ge 1 ] || sample=1
calls=$((rate * (warmup + seconds)))

work=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start NAME ARGS...: a server on a UDP port of its own, counters every
# second as JSON lines in $work/NAME.log; sets $port and $pid.
start() {
	name=$1
	shift
	port=
	for try in 1 2 3 4 5 6 7 8; do
		p=$((20000 + ($$ * 19 + try * 307 + ${#name} * 1201) % 30000))
		"$bin" "$@" --listen "udp:127.0.0.1:$p" --log-format json --stats-interval 1 \
			2>"$work/$name.log" &
		pid=$!
		sleep 0.5
		if kill -0 "$pid" 2>/dev/null; then
			port=$p
			pids="$pids $pid"
			return 0
		fi
		wait "$pid" 2>/dev/null
	done
	echo "soak: could not start $name" >&2
	cat "$work/$name.log" >&2
	exit 1
}

start uas uas
uas_port=$port uas_pid=$pid
start uas2 uas
uas2_port=$port uas2_pid=$pid
start b2bua b2bua --to "sip:uas@127.0.0.1:$uas2_port"
b2b_port=$port b2b_pid=$pid

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# last NAME KEY: KEY of the last counters line of a server
last() {
	grep '"event":"stats"' "$work/$1.log" | tail -n 1 |
		sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"
}

# The load: two SIPp UACs, each bounded by a timeout.
limit=$((rate * (call_ms / 1000 + 2) + 100))
for path in uas b2bua; do
	[ "$path" = uas ] && target=$uas_port || target=$b2b_port
	timeout $((warmup + seconds + 200)) sipp "127.0.0.1:$target" -sn uac -i 127.0.0.1 -p 0 -m "$calls" \
		-r "$rate" -l "$limit" -d "$call_ms" -recv_timeout 40000 -nostdin \
		-trace_stat -stf "$work/sipp-$path.csv" -fd "$sample" \
		>"$work/sipp-$path.out" 2>&1 &
	eval "sipp_$path=\$!"
	pids="$pids $!"
done

# Samples until both SIPp runs are over (bounded: the time asked and 200 s).
# The reference is the first sample at or after the warm-up.
echo "t_s uas_rss_kb b2bua_rss_kb uas2_rss_kb uas_calls uas_open b2bua_calls b2bua_open uas2_open" \
	>"$work/samples"
start_s=$(date +%s)
t=0
while [ "$t" -le $((warmup + seconds + 200)) ]; do
	running=0
	for p in $sipp_uas $sipp_b2bua; do kill -0 "$p" 2>/dev/null && running=1; done
	echo "$t $(rss "$uas_pid") $(rss "$b2b_pid") $(rss "$uas2_pid") $(last uas calls) \
$(last uas open) $(last b2bua calls) $(last b2bua open) $(last uas2 open)" >>"$work/samples"
	[ "$running" = 0 ] && break
	sleep "$sample"
	t=$(($(date +%s) - start_s))
done
for path in uas b2bua; do
	eval "p=\$sipp_$path"
	wait "$p"
	echo $? >"$work/sipp-$path.rc"
	pids=$(echo "$pids" | sed "s/ $p\\b//")
done

fail=0
reasons=
failed() {
	fail=1
	reasons="$reasons
- $1"
}

# SIPp's counters: the cumulative ones of its last statistics line.
sipp_count() {
	awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
	                      END { print (c && $c != "") ? $c + 0 : -1 }' "$work/sipp-$1.csv" 2>/dev/null ||
		echo -1
}
for path in uas b2bua; do
	ok=$(sipp_count "$path" "SuccessfulCall(C)")
	bad=$(sipp_count "$path" "FailedCall(C)")
	eval "ok_$path=$ok bad_$path=$bad"
	[ "$bad" = 0 ] || failed "SIPp through the $path: $bad failed calls"
	[ "$ok" = "$calls" ] || failed "SIPp through the $path: $ok successful calls of $calls"
done

# RSS: the reference is the first sample at or after the warm-up; growth is
# the highest later sample minus it.
growth() {
	awk -v w="$warmup" -v col="$1" 'NR > 1 && $1 >= w { if (ref == "") ref = $col;
	                                                      if ($col > max) max = $col }
	                                 END { if (ref == "") print "0 0 0"; else print ref, max, max - ref }' \
		"$work/samples"
}
for s in uas:2 b2bua:3 uas2:4; do
	name=${s%%:*}
	set -- $(growth "${s#*:}")
	eval "ref_$name=$1 max_$name=$2 grow_$name=$3"
	[ "$3" -le "$growth_kb" ] || failed "$name: RSS grew by $3 kB after the warm-up (bound $growth_kb kB)"
done

# The end: every server back to no call open, then SIGTERM.
stop() {
	name=$1 p=$2
	waited=0
	while [ "$(last "$name" open)" != 0 ] && [ "$waited" -lt 70 ]; do
		sleep 1
		waited=$((waited + 1))
	done
	open_before=$(last "$name" open)
	t0=$(date +%s%N)
	kill -TERM "$p"
	# at most 60 s; no watchdog process left behind (it would hold our output)
	tries=0
	while kill -0 "$p" 2>/dev/null && [ "$tries" -lt 300 ]; do
		sleep 0.2
		tries=$((tries + 1))
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p"
	wait "$p"
	st=$?
	pids=$(echo "$pids" | sed "s/ $p\\b//")
	ms=$((($(date +%s%N) - t0) / 1000000))
	summary=$(grep '"event":"summary"' "$work/$name.log" | tail -n 1)
	open_end=$(echo "$summary" | sed -n 's/.*"open":\([0-9]*\).*/\1/p')
	eval "open_$name=\${open_before:-?} exit_$name=$st ms_$name=$ms"
	[ "$open_before" = 0 ] || failed "$name: $open_before calls still open 70 s after the load"
	[ "$st" = 0 ] || failed "$name: exit status $st after SIGTERM"
	[ "$open_end" = 0 ] || failed "$name: summary says open: ${open_end:-?}"
	[ "$ms" -le 3000 ] || failed "$name: took $ms ms to stop after SIGTERM"
}
stop b2bua "$b2b_pid"
stop uas "$uas_pid"
stop uas2 "$uas2_pid"

# The results section.
{
	echo "## ${SOAK_TITLE:-Soak}: \`bench/soak.sh\`"
	[ -z "${SOAK_NOTE:-}" ] || { echo; echo "$SOAK_NOTE"; }
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')." \
		"Two SIPp UACs (\`-sn uac\`, calls of $call_ms ms) for $warmup + $seconds s at $rate calls/s each:" \
		"one calls \`sipdialog uas\`, the other \`sipdialog b2bua\` in front of a second uas," \
		"on 127.0.0.1 over UDP. RSS sampled every $sample s; reference at the end of the" \
		"$warmup s warm-up (transactions outlive their calls by 64*T1 = 32 s over UDP)."
	echo
	echo "| | uas | b2bua | uas behind the b2bua |"
	echo "|---|---|---|---|"
	echo "| SIPp calls successful / failed | $ok_uas / $bad_uas | $ok_b2bua / $bad_b2bua | |"
	echo "| RSS after warm-up, highest after (kB) | $ref_uas, $max_uas | $ref_b2bua, $max_b2bua | $ref_uas2, $max_uas2 |"
	echo "| RSS growth after warm-up (bound $growth_kb kB) | $grow_uas | $grow_b2bua | $grow_uas2 |"
	echo "| calls open at the end | $open_uas | $open_b2bua | $open_uas2 |"
	echo "| exit status after SIGTERM (ms to stop) | $exit_uas ($ms_uas) | $exit_b2bua ($ms_b2bua) | $exit_uas2 ($ms_uas2) |"
	echo
	echo "Samples (every ${sample} s, at most 12 shown; RSS in kB):"
	echo
	echo "| t (s) | uas RSS | b2bua RSS | uas2 RSS | uas calls | uas open | b2bua calls | b2bua open | uas2 open |"
	echo "|---|---|---|---|---|---|---|---|---|"
	n=$(($(wc -l <"$work/samples") - 1))
	step=$(((n + 11) / 12))
	[ "$step" -ge 1 ] || step=1
	awk -v s="$step" -v n="$n" 'NR > 1 && ((NR - 2) % s == 0 || NR - 1 == n) {
		printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; for (i = NF + 1; i <= 9; i++) printf " |"; printf "\n" }' \
		"$work/samples"
	echo
	if [ "$fail" = 0 ]; then
		echo "Result: **pass**."
	else
		echo "Result: **FAIL**:$reasons"
	fi
} >"$work/section.md"
cat "$work/section.md"
[ -n "${SOAK_OUT:-}" ] && cp "$work/section.md" "$SOAK_OUT"
exit $fail
