#!/bin/sh
# bench/calls.sh — whole calls over loopback UDP: `sipdialog uas` against UASes
# on libre, sofia-sip and SIPp's own, and `sipdialog b2bua` against Kamailio
# as a dialog-stateful proxy (both with a SIPp UAS behind them), SIPp's
# built-in UAC driving. bench/run.sh calls it for `make bench`.
#
# Usage: bench/calls.sh run BUILD_DIR   measure; results in bench/results/
#        bench/calls.sh report          print the section of BENCHMARKS.md and
#                                       draw bench/results/calls.png
#
# Three measurements (see the report's Method):
#   rate    the highest call rate sustained for BENCH_CALLS_SECONDS with no
#           failed call: server on one CPU, SIPp on the other (taskset);
#   instr   instructions per call: the server under callgrind, SIPp driving at
#           a low fixed rate, runs of N and N + EXTRA calls subtracted;
#   mem     memory per established call: the growth of the server's memory
#           (PSS, all its processes) with MEM_COUNTS calls held open.
#
# Knobs, from the environment:
#   BENCH_QUICK=1            a quick pass for development: 1 run, 3 s trials,
#                            small counts (the report says so)
#   BENCH_CALLS_RUNS         runs of each measurement (3)
#   BENCH_CALLS_SECONDS      length of a rate trial (10)
#   BENCH_CALLS_TARGETS      what to measure (ours re sofia sipp b2bua kamailio)
#   BENCH_CALLS_PARTS        which measurements (rate instr mem)
#   BENCH_CALLS_CG_RATE      calls/s under callgrind (50)
#   BENCH_CALLS_CG_N         calls of the shorter callgrind run (300)
#   BENCH_CALLS_CG_EXTRA     calls more in the longer one (2000)
#   BENCH_CALLS_MEM_COUNTS   calls held for the memory figures ("20000 100000")
#   BENCH_CALLS_MEM_RATE     calls/s while they are set up (1000)
#   BENCH_CALLS_CPUS         the server's CPU and SIPp's ("0 1")
#
# The rate trials run one after the other, pinned; then the callgrind runs
# (in the background) and the memory runs, side by side, unpinned: neither
# depends on time.
#
# Everything runs on 127.0.0.1, on ports found free in /proc/net/udp. Every
# process this script starts is recorded by PID and ended by PID (SIGTERM,
# then SIGKILL), at its step's end or when the script exits; every SIPp run
# is bounded (timeout(1), or watched and stopped).
set -eu

usage() {
	echo "usage: bench/calls.sh run BUILD_DIR | bench/calls.sh report" >&2
	exit 2
}
[ $# -ge 1 ] || usage
MODE=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
RESULTS=$ROOT/bench/results
TSV=$RESULTS/calls.tsv
PROFILE_TSV=$RESULTS/calls-profile.tsv
CHART=$RESULTS/calls.png

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_CALLS_RUNS:-1}
	TRIAL_S=${BENCH_CALLS_SECONDS:-3}
	CG_EXTRA=${BENCH_CALLS_CG_EXTRA:-500}
	MEM_COUNTS=${BENCH_CALLS_MEM_COUNTS:-"2000 10000"}
else
	RUNS=${BENCH_CALLS_RUNS:-3}
	TRIAL_S=${BENCH_CALLS_SECONDS:-10}
	CG_EXTRA=${BENCH_CALLS_CG_EXTRA:-2000}
	MEM_COUNTS=${BENCH_CALLS_MEM_COUNTS:-"20000 100000"}
fi
TARGETS=${BENCH_CALLS_TARGETS:-"ours re sofia sipp b2bua kamailio"}
PARTS=${BENCH_CALLS_PARTS:-"rate instr mem"}
CG_RATE=${BENCH_CALLS_CG_RATE:-50}
CG_N=${BENCH_CALLS_CG_N:-300}
CG_OPEN=4
MEM_RATE=${BENCH_CALLS_MEM_RATE:-1000}
# Every SIPp: no keyboard, and socket buffers as large as the system allows
# (its default, 64 KB, overflows when a busy machine holds it back an instant).
SIPP_OPTS="-nostdin -buff_size 4194304"
# The quick trials that find where to start the search, and its bounds.
EST_S=$((TRIAL_S < 2 ? TRIAL_S : 2))
RATE_START=1000
RATE_MAX=40000

# ------------------------------------------------------------------ helpers

TAB=$(printf '\t')



# "+SECONDS" since the measurements began, for the progress lines.
since() {
	echo "+$(($(date +%s) - ${started:-$(date +%s)}))s"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ------------------------------------------------------------------ processes

# The fields of /proc/PID/stat after the command name (state, ppid, pgrp,
# ..., utime at 12, stime at 13), without a fork: this runs often.
proc_stat() {
	line=
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	echo "${line##*) }"
}

# Our process group: a PID is only signalled while it is still in it, so that
# a PID the system gave to someone else since is never touched.
# shellcheck disable=SC2046
OUR_PGRP=$(set -- $(proc_stat $$) && echo "$3")

alive() { # PID: running (not a zombie) and ours
	st=$(proc_stat "$1") || return 1
	# shellcheck disable=SC2086
	set -- $st
	[ "$1" != Z ] && [ "$3" = "$OUR_PGRP" ]
}

# The children of a process (Kamailio's workers, SIPp in its subshell).
children_of() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$1" '{
		pid = $1; s = $0; sub(/.*\) /, "", s); split(s, f, " ")
		if (f[2] == pp) print pid }'
}

# Starts "$@" in the background with its output in LOG; BG_PID is its PID.
# (taskset and valgrind exec the program: the PID is the program's.)
bg_start() {
	log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	: > "$PIDS/$BG_PID"
}

# Ends one process we started, and its children: SIGTERM, up to WAIT seconds
# (callgrind writes its counts on the way out), then SIGKILL (at once for a
# WAIT of 0).
bg_stop() {
	pid=$1
	wait_s=${2:-20}
	kids=$(children_of "$pid")
	if alive "$pid"; then
		[ "$wait_s" = 0 ] || kill -TERM "$pid" 2>/dev/null || true
		i=0
		while alive "$pid" && [ $i -lt $((wait_s * 10)) ]; do
			sleep 0.1
			i=$((i + 1))
		done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	for k in $kids; do
		i=0
		while alive "$k" && [ $i -lt $((wait_s < 5 ? wait_s * 10 : 50)) ]; do
			sleep 0.1
			i=$((i + 1))
		done
		alive "$k" && kill -KILL "$k" 2>/dev/null || true
	done
	rm -f "$PIDS/$pid"
}

cleanup() {
	[ -d "${PIDS:-/nonexistent}" ] || return 0
	for f in "$PIDS"/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		for k in $(children_of "$p"); do alive "$k" && kill -KILL "$k" 2>/dev/null; done
		alive "$p" && kill -KILL "$p" 2>/dev/null
		rm -f "$f"
	done
	return 0
}

# A fresh work directory WORK under the build (bench-work/NAME), the PID
# records in it, and cleanup at exit: what calls.sh and scale.sh start with.
work_setup() {
	WORK=$BUILD/bench-work/$1
	rm -rf "$WORK"
	mkdir -p "$WORK" "$RESULTS"
	PIDS=$WORK/pids
	mkdir -p "$PIDS"
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT TERM
}

# CPU seconds (user + system, in clock ticks) of processes and their children.
tree_ticks() {
	t=0
	for p in "$@" $(for q in "$@"; do children_of "$q"; done); do
		st=$(proc_stat "$p") || continue
		# shellcheck disable=SC2086
		set -- $st
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# Proportional set size, in kB, of a process and its children: for one
# process the same growth as RSS; for Kamailio's processes, which share their
# memory, each page counted once.
tree_pss() {
	t=0
	for p in "$1" $(children_of "$1"); do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# ------------------------------------------------------------------ ports

PORT_NEXT=$((20000 + ($$ % 500) * 20))

port_busy() {
	hex=$(printf ':%04X ' "$1")
	grep -q "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null
}

# Eight free consecutive UDP ports from PORT: PORT for the server, +1 for
# the SIPp UAS behind it, +2 and up for SIPp's UACs.
take_ports() {
	while :; do
		p=$PORT_NEXT
		PORT_NEXT=$((PORT_NEXT + 8))
		[ $PORT_NEXT -lt 60000 ] || PORT_NEXT=20000
		i=0
		while [ $i -lt 8 ] && ! port_busy $((p + i)); do i=$((i + 1)); done
		if [ $i = 8 ]; then
			PORT=$p
			return
		fi
	done
}

# Waits until something listens on UDP port $1 while process $2 lives.
wait_bound() {
	i=0
	while [ $i -lt 600 ]; do
		port_busy "$1" && return 0
		alive "$2" || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# ------------------------------------------------------------------ targets

describe() {
	case $1 in
	ours) echo "sipdialog uas" ;;
	re) echo "libre sipsess (bench/peers/re_uas.c)" ;;
	sofia) echo "sofia-sip nua (bench/peers/sofia_uas.c)" ;;
	sipp) echo "SIPp built-in UAS (sipp -sn uas)" ;;
	b2bua) echo "sipdialog b2bua, SIPp UAS behind" ;;
	kamailio) echo "Kamailio tm + rr + dialog (bench/peers/kamailio.cfg), SIPp UAS behind" ;;
	esac
}

version_of() {
	case $1 in
	ours | b2bua) sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null | head -n 1 ;;
	re) pkg_version libre-dev ;;
	sofia) pkg_version libsofia-sip-ua-dev ;;
	sipp) pkg_version sip-tester ;;
	kamailio) pkg_version kamailio ;;
	esac
}

# Whether a target can run here; says why not on stdout.
missing() {
	case $1 in
	ours | b2bua) [ -x "$BUILD/sipdialog" ] || echo "$BUILD/sipdialog not built" ;;
	re) [ -x "$BUILD/bench/bench_re_uas" ] || echo "bench_re_uas not built (libre-dev missing)" ;;
	sofia) [ -x "$BUILD/bench/bench_sofia_uas" ] || echo "bench_sofia_uas not built (libsofia-sip-ua-dev missing)" ;;
	sipp) ;;
	kamailio) command -v kamailio >/dev/null 2>&1 || echo "kamailio not installed" ;;
	esac
}

# start_target NAME PORT LOG PIN WRAP: the server NAME on udp:127.0.0.1:PORT
# (and for b2bua and kamailio a SIPp UAS behind it on PORT+1, pinned with
# UAS_PIN), PIN and WRAP (taskset, valgrind) before its command. Sets
# SRV_PID and UAS_PID (empty without one); returns 1 if it does not listen.
start_target() {
	name=$1
	port=$2
	log=$3
	pin=$4
	wrap=$5
	UAS_PID=
	case $name in
	b2bua | kamailio)
		# shellcheck disable=SC2086
		bg_start "$log.uas" $UAS_PIN sipp -sn uas -i 127.0.0.1 -p $((port + 1)) $SIPP_OPTS
		UAS_PID=$BG_PID
		wait_bound $((port + 1)) "$UAS_PID" || return 1
		;;
	esac
	case $name in
	# --max-transactions: the default cap (100,000 server transactions,
	# each call keeping two for 32 s after it over UDP) would answer 503
	# from about 1,500 calls/s on; the trials go far beyond that
	# --user root: started as root, the command would go on as nobody, and
	# callgrind could then not write its counts into our work directory
	ours) set -- "$BUILD/sipdialog" uas --listen "udp:127.0.0.1:$port" \
		--max-transactions 4000000 --user root ;;
	re) set -- "$BUILD/bench/bench_re_uas" 127.0.0.1 "$port" ;;
	sofia) set -- "$BUILD/bench/bench_sofia_uas" 127.0.0.1 "$port" ;;
	sipp) set -- sipp -sn uas -i 127.0.0.1 -p "$port" $SIPP_OPTS ;;
	b2bua) set -- "$BUILD/sipdialog" b2bua --listen "udp:127.0.0.1:$port" --max-transactions 4000000 --user root \
		--to "sip:uas@127.0.0.1:$((port + 1))" ;;
	kamailio)
		mkdir -p "$log.run"
		# TLSF, Kamailio's fast allocator (its default, qm, is the
		# debugging one); shared memory for 100,000 dialogs
		set -- kamailio -x tlsf -f "$ROOT/bench/peers/kamailio.cfg" -DD -E \
			-l "udp:127.0.0.1:$port" -Y "$log.run" -m 1024 -M 16 \
			-A "UAS_URI=\"sip:127.0.0.1:$((port + 1))\"" -A CHILDREN=1
		;;
	esac
	# shellcheck disable=SC2086
	bg_start "$log" $pin $wrap "$@"
	SRV_PID=$BG_PID
	wait_bound "$port" "$SRV_PID" || return 1
	# Kamailio binds before its workers are forked: let them start
	case $name in kamailio) sleep 1 ;; *) sleep 0.2 ;; esac
	# under valgrind, the first messages are slow (code being translated)
	[ -z "$wrap" ] || sleep 2
	alive "$SRV_PID"
}

# Ends the server (and the UAS behind it): SIGTERM, then SIGKILL after WAIT
# seconds: long for callgrind, which writes its counts on the way out; short
# elsewhere (a server left with calls open, as after a failed trial, would
# end each with a BYE to a SIPp that is gone).
stop_target() {
	bg_stop "$SRV_PID" "${1:-60}"
	[ -z "$UAS_PID" ] || bg_stop "$UAS_PID" 2
}

# A field of the last line of a SIPp statistics file (-trace_stat), by name.
stat_field() {
	awk -F';' -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
		{ v = $c } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}

# Children's CPU seconds from the output of times(1): its second line.
times_seconds() {
	sed -n 2p "$1" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.2f", t }'
}

# ------------------------------------------------------------------ rate

# rate_trial NAME RATE SECONDS PHASE: one trial, appended to calls.tsv as a
# "trial" line; returns 0 when every call succeeded and SIPp kept the rate.
rate_trial() {
	name=$1
	rate=$2
	secs=$3
	phase=$4
	calls=$((rate * secs))
	take_ports
	d=$WORK/rate.$name.$rate.$$.$PORT
	mkdir -p "$d"
	if ! start_target "$name" "$PORT" "$d/server.log" "$SRV_PIN" ""; then
		echo "calls.sh: $name did not start, see $d/server.log" >&2
		stop_target 1
		return 1
	fi
	# the receive buffer the server's socket got, once per target
	if [ ! -e "$WORK/sock.$name" ] && command -v ss >/dev/null 2>&1; then
		: > "$WORK/sock.$name"
		rb=$(ss -u -a -m -n 2>/dev/null | awk -v p="127.0.0.1:$PORT" '
			$4 == p { on = 1; next } on { if (match($0, /rb[0-9]+/)) print substr($0, RSTART + 2, RLENGTH - 2); exit }')
		[ -z "$rb" ] || printf 'rcvbuf\t%s\t%s\n' "$name" "$rb" >> "$TSV.new"
	fi
	c0=$(tree_ticks "$SRV_PID")
	u0=0
	[ -z "$UAS_PID" ] || u0=$(tree_ticks "$UAS_PID")
	limit=$((secs * 1100 + 1000))
	t0=$(now_ms)
	# SIPp in a subshell that reports its exit status and CPU time (times);
	# watched, and stopped as soon as the trial has failed: a failed call, or
	# later than the limit
	# shellcheck disable=SC2086
	(
		set +e # SIPp stopped early still gets its status and times reported
		$UAS_PIN sipp "127.0.0.1:$PORT" -sn uac -i 127.0.0.1 -p $((PORT + 2)) \
			-r "$rate" -m "$calls" -l $((rate * 2 + 100 < 15000 ? rate * 2 + 100 : 15000)) \
			-recv_timeout 5000 $SIPP_OPTS -trace_stat -stf "$d/stat.csv" -fd 1 >"$d/uac.out" 2>&1 </dev/null
		echo "rc $?"
		times
	) >"$d/uac.times" 2>&1 &
	sub=$!
	: > "$PIDS/$sub"
	uac=
	late=0
	while alive "$sub"; do
		sleep 0.2
		[ -n "$uac" ] || { uac=$(children_of "$sub"); [ -z "$uac" ] || : > "$PIDS/$uac"; }
		t1=$(now_ms)
		if [ $((t1 - t0)) -gt $limit ] || [ "$(stat_field "$d/stat.csv" "FailedCall(C)")" -gt 0 ]; then
			[ $((t1 - t0)) -le $limit ] || late=1
			[ -z "$uac" ] || bg_stop "$uac" 2
			break
		fi
	done
	wait "$sub" 2>/dev/null || true
	rm -f "$PIDS/$sub"
	t1=$(now_ms)
	c1=$(tree_ticks "$SRV_PID")
	u1=0
	[ -z "$UAS_PID" ] || u1=$(tree_ticks "$UAS_PID")
	stop_target 1
	rc=$(sed -n 's/^rc //p' "$d/uac.times")
	sed -i '/^rc /d' "$d/uac.times"
	uac_cpu=$(times_seconds "$d/uac.times")
	ok_calls=$(stat_field "$d/stat.csv" "SuccessfulCall(C)")
	failed=$(stat_field "$d/stat.csv" "FailedCall(C)")
	retrans=$(stat_field "$d/stat.csv" "Retransmissions(C)")
	elapsed=$((t1 - t0))
	tck=$(getconf CLK_TCK)
	srv_pct=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v e="$elapsed" 'BEGIN { printf "%.0f", 100 * (b - a) / t / (e / 1000) }')
	sipp_pct=$(awk -v a="$u0" -v b="$u1" -v t="$tck" -v c="$uac_cpu" -v e="$elapsed" 'BEGIN { printf "%.0f", 100 * ((b - a) / t + c) / (e / 1000) }')
	ok=0
	# every call answered and ended, and all done in time: 10% late at most,
	# and a second for the retransmissions of a last call
	if [ "${rc:-1}" = 0 ] && [ "$ok_calls" -eq "$calls" ] && [ $late = 0 ] && [ "$elapsed" -le $limit ]; then
		ok=1
	fi
	# the status of the first error response SIPp did not expect (a 503...)
	code=$(sed -n "s/.*unexpected message.*received 'SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p" "$d/uac.out" | head -n 1)
	printf 'trial\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$phase" "$rate" "$secs" \
		"$ok" "$elapsed" "$srv_pct" "$sipp_pct" "$ok_calls" "$failed" "$retrans" "${code:--}" >> "$TSV.new"
	# progress on stderr: stdout is the estimate's answer
	echo "   $name $phase: $rate calls/s for ${secs}s: $([ $ok = 1 ] && echo ok || echo "FAILED (rc ${rc:-?}, $ok_calls/$calls ok, $failed failed, ${elapsed} ms$([ $late = 0 ] || echo ", late")${code:+, got $code})"); server ${srv_pct}% CPU, SIPp ${sipp_pct}%" >&2
	# a failed trial's files stay in the work directory, for a look
	[ $ok = 0 ] || rm -rf "$d"
	[ $ok = 1 ]
}

round_rate() { # to two significant digits
	awk -v r="$1" 'BEGIN {
		m = 1; while (r >= m * 100) m *= 10
		v = int(r / m + 0.5) * m; if (v < 1) v = 1; print v }'
}

# The highest rate of the trials that passed, in one phase, and the CPU
# shares of that trial.
rate_best() {
	awk -F'\t' -v n="$1" -v p="$2" '$1 == "trial" && $2 == n && $3 == p && $6 == 1 && $4 + 0 > b {
		b = $4 + 0; s = $8; u = $9 } END { printf "%d\t%s\t%s\n", b, s, u }' "$TSV.new"
}

# A short trial that fails is tried once more before it counts: a 2-s
# trial is easily made late by a start-up hiccup, and a guess that is too
# low keeps every run low.
est_trial() {
	rate_trial "$1" "$2" "$EST_S" est || rate_trial "$1" "$2" "$EST_S" est
}

# A first guess from short trials: doubling from RATE_START, then two
# bisections; each run starts from it.
rate_estimate() {
	name=$1
	lo=0
	hi=0
	r=$RATE_START
	while [ "$r" -le $RATE_MAX ]; do
		if est_trial "$name" "$r"; then lo=$r; r=$((r * 2)); else hi=$r; break; fi
	done
	if [ $lo = 0 ]; then # even the start failed: halve
		r=$((RATE_START / 2))
		while [ "$r" -ge 50 ]; do
			if est_trial "$name" "$r"; then lo=$r; break; fi
			hi=$r
			r=$((r / 2))
		done
	fi
	[ "$hi" != 0 ] && [ "$lo" != 0 ] || { echo "$lo"; return; }
	for _ in 1 2; do
		m=$(round_rate "$(awk -v a="$lo" -v b="$hi" 'BEGIN { print sqrt(a * b) }')")
		[ "$m" -gt "$lo" ] && [ "$m" -lt "$hi" ] || break
		if est_trial "$name" "$m"; then lo=$m; else hi=$m; fi
	done
	echo "$lo"
}

# One run: trials of TRIAL_S from START. If it passes, up by 10% while they
# pass (UPS times at most); if not, down by the factor DOWN until one passes
# (DOWNS times at most), then up by 10% while they pass and stay below the
# lowest rate that failed (UPS times at most).
# (sh has no local variables: the counters have names of their own, since
# the helpers rate_trial calls count with i)
rate_run() {
	name=$1
	run=$2
	c=$3
	ups=$4
	down=$5
	downs=$6
	failed_at=0
	if ! rate_trial "$name" "$c" "$TRIAL_S" "run$run"; then
		failed_at=$c
		n_down=0
		while :; do
			[ $n_down -lt "$downs" ] || return 0
			c=$(round_rate "$(awk -v c="$c" -v f="$down" 'BEGIN { print c * f }')")
			n_down=$((n_down + 1))
			rate_trial "$name" "$c" "$TRIAL_S" "run$run" && break
			failed_at=$c
		done
	fi
	n_up=0
	while [ $n_up -lt "$ups" ]; do
		c=$(round_rate "$(awk -v c="$c" 'BEGIN { print c * 1.1 }')")
		[ "$failed_at" = 0 ] || [ "$c" -lt "$failed_at" ] || return 0
		rate_trial "$name" "$c" "$TRIAL_S" "run$run" || return 0
		n_up=$((n_up + 1))
	done
	return 0
}

section_rate() {
	for t in $TARGETS; do
		echo "== bench/calls: rate, $t ($(describe "$t")) $(since)"
		e=$(rate_estimate "$t")
		if [ "${e:-0}" = 0 ]; then
			echo "   $t: no rate passed"
			continue
		fi
		# Each run is a sample of its own: it starts from the short trials'
		# guess, not from the run before, so that one unlucky trial (SIPp
		# or the machine, not the server) does not pull the later runs down
		# with it, and the median means something.
		for run in $(seq 1 "$RUNS"); do
			rate_run "$t" "$run" "$e" 8 0.85 6
			best=$(rate_best "$t" "run$run")
			printf 'rate\t%s\t%s\t%s\n' "$t" "$run" "$best" >> "$TSV.new"
		done
	done
}

# ------------------------------------------------------------------ instr

# cg_run NAME CALLS OUT PORT: the server under callgrind (every process it
# forks in OUT.PID), CALLS calls at CG_RATE; prints "total retrans ok".
cg_run() {
	name=$1
	n=$2
	out=$3
	port=$4
	if ! start_target "$name" "$port" "$out.log" "" \
		"valgrind --tool=callgrind --callgrind-out-file=$out.%p"; then
		stop_target
		echo "0 0 0"
		return
	fi
	# at most CG_OPEN calls open: a server that callgrind (or a busy machine)
	# slows down gets its calls later, never retransmissions
	# shellcheck disable=SC2086
	timeout $((n * 4 / CG_RATE + 180)) sipp "127.0.0.1:$port" -sn uac -i 127.0.0.1 -p $((port + 2)) \
		-r "$CG_RATE" -m "$n" -l "$CG_OPEN" -recv_timeout 10000 -timeout $((n * 3 / CG_RATE + 120))s \
		-timeout_error $SIPP_OPTS -trace_stat -stf "$out.stat" -fd 1 >"$out.uac" 2>&1 && rc=0 || rc=$?
	stop_target
	total=0
	for f in "$out".[0-9]*; do
		[ -e "$f" ] || continue
		v=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
		total=$((total + ${v:-0}))
	done
	echo "$total $(stat_field "$out.stat" "Retransmissions(C)") $([ "$rc" = 0 ] && echo 1 || echo 0)"
}

# Where a one-process target spends its instructions per call: the longer
# run minus the shorter, per function, self and inclusive.
cg_profile() {
	name=$1
	a=$(ls "$WORK/cg.$name.1.a".[0-9]* 2>/dev/null | head -n 1)
	b=$(ls "$WORK/cg.$name.1.b".[0-9]* 2>/dev/null | head -n 1)
	[ -n "$a" ] && [ -n "$b" ] || return 0
	for kind in self inclusive; do
		opt=
		[ $kind = inclusive ] && opt=--inclusive=yes
		cg_functions "$a" $opt > "$WORK/fn1"
		cg_functions "$b" $opt > "$WORK/fn2"
		awk -F'\t' -v kind=$kind -v t="$name" -v per="$CG_EXTRA" '
			function put(m, f, v) {
				sub(/[.](constprop|isra|part|cold)[.].*$/, "", f)
				if (kind == "self") m[f] += v; else if (v > m[f]) m[f] = v
			}
			NR == FNR { put(x, $1, $2); next }
			{ put(y, $1, $2) }
			END { for (f in y) if (y[f] - x[f] > 0) printf "%s\t%s\t%s\t%.0f\n", kind, t, f, (y[f] - x[f]) / per }' \
			"$WORK/fn1" "$WORK/fn2" | sort -t "$TAB" -k4,4nr | head -n 25
	done >> "$PROFILE_TSV.new"
}

section_instr() {
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "== bench/calls: valgrind missing, no instruction counts"
		return
	fi
	for run in $(seq 1 "$RUNS"); do
		echo "== bench/calls: callgrind run $run/$RUNS: $CG_N then $((CG_N + CG_EXTRA)) calls at $CG_RATE calls/s, all targets side by side $(since)"
		# the shorter runs side by side, then the longer ones
		for ab in a b; do
			n=$CG_N
			[ $ab = a ] || n=$((CG_N + CG_EXTRA))
			jobs=
			for t in $TARGETS; do
				take_ports
				cg_run "$t" "$n" "$WORK/cg.$t.$run.$ab" "$PORT" > "$WORK/cg.$t.$run.$ab.res" &
				jobs="$jobs $!"
			done
			for j in $jobs; do wait "$j" || true; done
		done
		for t in $TARGETS; do
			o=$WORK/cg.$t.$run
			printf 'instr\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$run" "$CG_N" "$(cat "$o.a.res")" \
				$((CG_N + CG_EXTRA)) "$(cat "$o.b.res")" | tr ' ' '\t' > "$o.line"
		done
		for t in $TARGETS; do
			f=$WORK/cg.$t.$run.line
			[ -s "$f" ] || continue
			cat "$f" >> "$TSV.new"
			awk -F'\t' -v x="$CG_EXTRA" '{ printf "   %s: %.0f instructions/call (retransmissions %s and %s%s)\n", $2,
				($9 - $5) / x, $6, $10, ($7 == 1 && $11 == 1) ? "" : ", A RUN FAILED" }' "$f"
		done
		if [ "$run" = 1 ]; then
			for t in ours b2bua; do
				case " $TARGETS " in *" $t "*) cg_profile "$t" ;; esac
			done
		fi
		# keep the counts of the first run only, for the profile
		[ "$run" = 1 ] || rm -f "$WORK/cg.".*".$run".[ab].[0-9]*
	done
}

# ------------------------------------------------------------------ mem

# Calls established (in SIPp's pause) and failed, from its counts and stats.
# (sh has no local variables: names of its own, as its callers use d)
mem_progress() {
	mp_dir=$1
	mp_cnt=$(ls "$mp_dir"/uac*_counts.csv 2>/dev/null | head -n 1)
	mp_paused=0
	[ -z "$mp_cnt" ] || mp_paused=$(stat_field "$mp_cnt" "6_Pause_Sessions")
	echo "$mp_paused $(stat_field "$mp_dir/stat.csv" "FailedCall(C)")"
}

# Waits (bounded: 4 s a call at RATE, and a minute) until the SIPp writing
# its counts in DIR has N calls up or failed; prints "up failed".
wait_up() {
	wd=$1
	wn=$2
	limit=$((wn * 4 / $3 + 60))
	t0=$(date +%s)
	while :; do
		sleep 1
		set -- $(mem_progress "$wd")
		[ $(($1 + $2)) -lt "$wn" ] || break
		[ $(($(date +%s) - t0)) -lt $limit ] || break
	done
	mem_progress "$wd"
}

# One target, one run: the server, then the calls of each count in turn
# (one SIPp per step, holding its calls), PSS before and after each.
mem_job() {
	name=$1
	run=$2
	port=$3
	d=$WORK/mem.$name.$run
	rm -rf "$d"
	mkdir -p "$d"
	: > "$d.lines"
	if ! start_target "$name" "$port" "$d/server.log" "" ""; then
		stop_target
		return
	fi
	sleep 1
	base=$(tree_pss "$SRV_PID")
	asked=0
	up=0
	uacs=
	step=0
	for count in $MEM_COUNTS; do
		step=$((step + 1))
		n=$((count - asked))
		asked=$count
		sd=$d/step$step
		mkdir -p "$sd"
		# a pause of an hour before BYE: the calls stay up until SIPp is killed;
		# no receive timeout, and INVITE retransmitted for two minutes: on a
		# busy machine a call comes up late rather than fail
		(cd "$sd" && exec sipp "127.0.0.1:$port" -sn uac -i 127.0.0.1 -p $((port + 1 + step)) \
			-r "$MEM_RATE" -m "$n" -l $((n + 10)) -d 3600000 -max_invite_retrans 8 $SIPP_OPTS \
			-trace_stat -stf "$sd/stat.csv" -trace_counts -fd 1 >"$sd/uac.out" 2>&1 </dev/null) &
		uacs="$uacs $!"
		: > "$PIDS/$!"
		wait_up "$sd" "$n" "$MEM_RATE" >/dev/null
		sleep 1
		set -- $(mem_progress "$sd")
		up=$((up + $1))
		printf 'mem\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$count" "$base" \
			"$(tree_pss "$SRV_PID")" "$up" "$2" >> "$d.lines"
	done
	# the calls are dropped, not ended: SIGKILL to SIPp first, then the server
	for u in $uacs; do
		alive "$u" && kill -KILL "$u" 2>/dev/null
		wait "$u" 2>/dev/null || true
		rm -f "$PIDS/$u"
	done
	bg_stop "$SRV_PID" 0
	[ -z "$UAS_PID" ] || bg_stop "$UAS_PID" 0
}

section_mem() {
	for run in $(seq 1 "$RUNS"); do
		echo "== bench/calls: memory run $run/$RUNS: $(echo "$MEM_COUNTS" | tr ' ' '/') calls held at $MEM_RATE calls/s, all targets side by side $(since)"
		jobs=
		for t in $TARGETS; do
			[ "$t" = sipp ] && continue # the rate ceiling, not a stack holding dialogs
			take_ports
			mem_job "$t" "$run" "$PORT" &
			jobs="$jobs $!"
		done
		for j in $jobs; do wait "$j" || true; done
		for t in $TARGETS; do
			f=$WORK/mem.$t.$run.lines
			[ -s "$f" ] || continue
			cat "$f" >> "$TSV.new"
			awk -F'\t' '{ printf "   %s: %s calls asked, %s up, %s failed: %.0f bytes/call\n", $2, $4, $7, $8,
				$7 ? ($6 - $5) * 1024 / $7 : 0 }' "$f"
		done
		rm -rf "$WORK"/mem.*."$run"
	done
}

# ------------------------------------------------------------------ run

do_run() {
	[ -d "$BUILD" ] || { echo "calls.sh: no build directory $BUILD" >&2; exit 2; }
	command -v sipp >/dev/null 2>&1 || { echo "calls.sh: sipp missing (Debian package sip-tester)" >&2; exit 1; }
	work_setup calls
	set -- ${BENCH_CALLS_CPUS:-0 1}
	SRV_PIN=
	UAS_PIN=
	if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
		SRV_PIN="taskset -c $1"
		UAS_PIN="taskset -c $2"
	fi
	# UAS_PIN also pins SIPp's UAC in the rate trials; elsewhere nothing is
	# pinned (the other measurements do not depend on time)
	avail=
	: > "$TSV.new"
	: > "$PROFILE_TSV.new"
	for t in $TARGETS; do
		why=$(missing "$t")
		if [ -n "$why" ]; then
			echo "== bench/calls: $t left out: $why"
			printf 'missing\t%s\t%s\n' "$t" "$why" >> "$TSV.new"
		else
			avail="$avail $t"
			printf 'target\t%s\t%s\t%s\n' "$t" "$(version_of "$t")" "$(describe "$t")" >> "$TSV.new"
		fi
	done
	TARGETS=$avail
	printf 'config\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$QUICK" "$RUNS" "$TRIAL_S" "$EST_S" \
		"$CG_RATE" "$CG_N" "$CG_EXTRA" "$MEM_RATE" "$(echo "$MEM_COUNTS" | tr ' ' ',')" \
		"${SRV_PIN:-none}" "${UAS_PIN:-none}" >> "$TSV.new"
	printf 'load\tstart\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$TSV.new"
	started=$(date +%s)
	case " $PARTS " in *" rate "*)
		section_rate
		printf 'load\tafter rate\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$TSV.new"
		;;
	esac
	# The rest does not depend on time: nothing pinned, and the instruction
	# counts (in the background, on ports of their own) side by side with the
	# memory figures.
	SRV_PIN=
	UAS_PIN=
	instr=
	case " $PARTS " in *" instr "*)
		(PORT_NEXT=$((PORT_NEXT + 10000)) && section_instr) &
		instr=$!
		;;
	esac
	case " $PARTS " in *" mem "*) section_mem ;; esac
	[ -z "$instr" ] || wait "$instr" || true
	printf 'load\tend\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$TSV.new"
	printf 'duration\t%s\n' $(($(date +%s) - started)) >> "$TSV.new"
	mv "$TSV.new" "$TSV"
	mv "$PROFILE_TSV.new" "$PROFILE_TSV"
	echo "== bench/calls: done in $(($(date +%s) - started)) s"
}

case $MODE in
lib) ;; # sourced by bench/scale.sh for its helpers
run)
	[ $# -eq 2 ] || usage
	BUILD=$(cd "$2" && pwd)
	do_run
	;;
report)
	. "$ROOT/bench/calls-report.sh"
	calls_report
	;;
*) usage ;;
esac
