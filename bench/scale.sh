#!/bin/sh
# bench/scale.sh — does the cost of a call grow with the calls held open?
# For `sipdialog uas` and `sipdialog b2bua` (a SIPp UAS behind it): a fresh
# server, SIPp's UAC sets up HELD calls and holds them; once their
# transactions have ended (64*T1 = 32 s after the last), a second SIPp places
# BATCH short calls (INVITE, 180, 200, ACK, BYE, 200) at RATE calls/s; 35 s
# later (their transactions ended too) the server's CPU time since the batch
# began, divided by BATCH, is the cost of a call with HELD open. Each held
# count and target runs side by side; the figure to read is the ratio of the
# cost with the most held to the cost with the fewest, per target.
#
# Usage: bench/scale.sh run BUILD_DIR     measure; bench/results/scale.tsv
#        bench/scale.sh report            print the section of BENCHMARKS.md
#
# Knobs: BENCH_SCALE_HELD ("1000 100000"), BENCH_SCALE_CALLS (20000),
# BENCH_SCALE_RATE (1000), BENCH_SCALE_RUNS (3), BENCH_SCALE_TARGETS
# ("ours b2bua"); BENCH_QUICK=1: one run, "1000 10000" held, 5000 calls.
# CPU time is user + system from /proc/PID/stat (clock ticks, 10 ms): a
# batch of 20,000 calls costs over a hundred ticks, so a tick is under 1 %.
# Loopback only; every process started is ended by its PID (calls.sh's
# helpers, sourced here).
set -eu

[ $# -ge 1 ] || { echo "usage: bench/scale.sh run BUILD_DIR | bench/scale.sh report" >&2; exit 2; }
SCALE_MODE=$1
SCALE_BUILD=${2:-}
set -- lib
# shellcheck source=bench/calls.sh
. "$(dirname "$0")/calls.sh"
SCALE_TSV=$RESULTS/scale.tsv
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	S_HELD=${BENCH_SCALE_HELD:-"1000 10000"}
	S_CALLS=${BENCH_SCALE_CALLS:-5000}
	S_RUNS=${BENCH_SCALE_RUNS:-1}
else
	S_HELD=${BENCH_SCALE_HELD:-"1000 100000"}
	S_CALLS=${BENCH_SCALE_CALLS:-20000}
	S_RUNS=${BENCH_SCALE_RUNS:-3}
fi
S_RATE=${BENCH_SCALE_RATE:-1000}
S_TARGETS=${BENCH_SCALE_TARGETS:-"ours b2bua"}
HOLD_RATE=2000

# One target, one held count, one run: a line for the TSV in $d.line.
scale_job() {
	name=$1
	held=$2
	run=$3
	port=$4
	d=$WORK/scale.$name.$held.$run
	rm -rf "$d"
	mkdir -p "$d/hold" "$d/batch"
	if ! start_target "$name" "$port" "$d/server.log" "" ""; then
		stop_target 0
		return
	fi
	(cd "$d/hold" && exec sipp "127.0.0.1:$port" -sn uac -i 127.0.0.1 -p $((port + 2)) \
		-r "$HOLD_RATE" -m "$held" -l $((held + 10)) -d 3600000 -max_invite_retrans 8 \
		$SIPP_OPTS -trace_stat -stf "$d/hold/stat.csv" -trace_counts -fd 1 >"$d/hold/uac.out" 2>&1 \
		</dev/null) &
	hold=$!
	: > "$PIDS/$hold"
	set -- $(wait_up "$d/hold" "$held" "$HOLD_RATE")
	up=$1
	sleep 35 # the set-up's transactions end (64*T1)
	t0=$(tree_ticks "$SRV_PID")
	(cd "$d/batch" && exec timeout $((S_CALLS / S_RATE + 90)) sipp "127.0.0.1:$port" -sn uac \
		-i 127.0.0.1 -p $((port + 3)) -r "$S_RATE" -m "$S_CALLS" -l 2000 $SIPP_OPTS \
		-trace_stat -stf "$d/batch/stat.csv" >"$d/batch/uac.out" 2>&1 </dev/null) || true
	failed=$(stat_field "$d/batch/stat.csv" "FailedCall(C)")
	ok=$(stat_field "$d/batch/stat.csv" "SuccessfulCall(C)")
	sleep 35 # the batch's transactions end, their timers counted
	t1=$(tree_ticks "$SRV_PID")
	printf 'scale\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$held" "$up" "$S_CALLS" \
		"$ok" "$failed" $((t1 - t0)) > "$d.line"
	alive "$hold" && kill -KILL "$hold" 2>/dev/null
	wait "$hold" 2>/dev/null || true
	rm -f "$PIDS/$hold"
	stop_target 0
}

scale_run() {
	BUILD=$(cd "$SCALE_BUILD" && pwd)
	work_setup scale
	SRV_PIN=
	UAS_PIN=
	started=$(date +%s)
	: > "$SCALE_TSV.new"
	printf 'config\t%s\t%s\t%s\t%s\n' "$S_CALLS" "$S_RATE" "$(getconf CLK_TCK)" \
		"${MEASURED_AT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)}" \
		>> "$SCALE_TSV.new"
	for run in $(seq 1 "$S_RUNS"); do
		echo "== bench/scale: run $run/$S_RUNS: $S_CALLS calls at $S_RATE calls/s with $(echo "$S_HELD" | tr ' ' '/') held, side by side $(since)"
		jobs=
		for t in $S_TARGETS; do
			[ -z "$(missing "$t")" ] || continue
			for h in $S_HELD; do
				take_ports
				scale_job "$t" "$h" "$run" "$PORT" &
				jobs="$jobs $!"
			done
		done
		for j in $jobs; do wait "$j" || true; done
		for f in "$WORK"/scale.*."$run".line; do
			[ -s "$f" ] || continue
			cat "$f" >> "$SCALE_TSV.new"
			awk -F'\t' -v hz="$(getconf CLK_TCK)" '{ printf "   %s, %s held (%s up): %s of %s calls ok, %s failed: %.1f us of CPU per call\n",
				$2, $4, $5, $7, $6, $8, $9 * 1e6 / hz / ($7 ? $7 : 1) }' "$f"
		done
	done
	printf 'duration\t%s\n' $(($(date +%s) - started)) >> "$SCALE_TSV.new"
	mv "$SCALE_TSV.new" "$SCALE_TSV"
}

scale_report() {
	[ -s "$SCALE_TSV" ] || return 0
	awk -F'\t' "$AWK_FMT"'
	function med(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
	function hi(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
	$1 == "config" { calls = $2; rate = $3; hz = $4; commit = $5 }
	$1 == "scale" && $7 > 0 {
		k = $2 SUBSEP $4
		if (!(k in v)) { order[++n] = k; tgt[k] = $2; held[k] = $4 }
		v[k] = v[k] " " ($9 * 1e6 / hz / $7)
		if ($8 > 0) failed[k] += $8
	}
	END {
		print "## Cost per call against calls held: `bench/scale.sh`"
		print ""
		printf "Whether a call costs more when many are open (issue 8: at 1,000 and 100,000 held).\n"
		printf "A fresh server per count; SIPp holds the calls, waits 35 s for their transactions\n"
		printf "to end, then places %s short calls at %s calls/s; the server'"'"'s CPU time (user +\n", grp(calls), grp(rate)
		printf "system, /proc) from the batch'"'"'s start to 35 s after its end (its transactions\n"
		printf "ended too), per call of the batch. All counts and targets side by side, so that\n"
		printf "they share the machine alike. Measured at commit %s.\n\n", commit
		print "| target | calls held | CPU per call, µs (median) | min – max | runs | against the fewest held |"
		print "|---|--:|--:|--:|--:|--:|"
		for (i = 1; i <= n; i++) {
			k = order[i]; t = tgt[k]
			m = med(v[k])
			if (!(t in base) || held[k] + 0 < basecount[t]) { base[t] = m; basecount[t] = held[k] + 0 }
		}
		for (i = 1; i <= n; i++) {
			k = order[i]; t = tgt[k]; m = med(v[k])
			printf "| %s | %s | **%.1f** | %.1f – %.1f | %d | %.2f |\n", t == "ours" ? "ours (uas)" : t == "b2bua" ? "ours (b2bua)" : t,
				grp(held[k]), m, lo(v[k]), hi(v[k]), split(v[k], tmp, " "), base[t] ? m / base[t] : 0
		}
		for (k in failed) printf "\n- %s with %s held: %d calls of the batch failed (not counted).\n", tgt[k], grp(held[k]), failed[k]
	}' "$SCALE_TSV"
}

case $SCALE_MODE in
run)
	[ -n "$SCALE_BUILD" ] || { echo "usage: bench/scale.sh run BUILD_DIR" >&2; exit 2; }
	scale_run
	;;
report) scale_report ;;
*) echo "usage: bench/scale.sh run BUILD_DIR | bench/scale.sh report" >&2; exit 2 ;;
esac
