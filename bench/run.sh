#!/bin/sh
# bench/run.sh — runs the benchmarks built in BUILD_DIR and regenerates
# BENCHMARKS.md at the root of the repository from their results.
#
# Usage: bench/run.sh BUILD_DIR      (make bench builds BUILD_DIR and calls this)
#
# Each benchmark is a section: section_NAME_run runs it and leaves its figures
# in bench/results/, section_NAME_report prints its part of BENCHMARKS.md from
# those figures alone. A new benchmark adds its two functions and its name to
# SECTIONS; nothing else changes.
#
# Knobs, from the environment:
#   BENCH_RUNS         timed runs per parser and per kind of transaction (7)
#   BENCH_SECONDS      seconds per run and parser over the whole corpus (0.8)
#   BENCH_MSG_SECONDS  seconds per run, parser and message alone (0.02; 0: skip)
#   BENCH_CG_ITER      passes over the corpus for callgrind, N then 2N (20; 0: skip)
#   BENCH_TXN_SECONDS  seconds per run and kind of transaction (0.5)
#   BENCH_TXN_N        transactions per counted run (callgrind and allocations),
#                      N then 2N (2000; 0: skip)
#   BENCH_CPU          CPU to pin the benchmarks to with taskset (the last one;
#                      "none": do not pin)
#   BENCH_TIMEOUT      seconds after which any one step is stopped (300)
#   BENCH_REPORT_ONLY  1: measure nothing, rewrite BENCHMARKS.md from the
#                      figures already in bench/results/
#   BENCH_SECTIONS     the sections to measure (all: "parse txn calls scale"); the
#                      report has every section, from the figures on file
#   BENCH_QUICK        1: a quick pass for development (fewer and shorter runs)
#   BENCH_CALLS_*      the calls section's own knobs: see bench/calls.sh
#
# Everything runs on this machine only: the parser and transaction
# benchmarks in the foreground under timeout(1); the calls section
# (bench/calls.sh) starts servers and SIPp on 127.0.0.1 and ends each one it
# started by its PID. Nothing is left behind but files.
set -eu

SECTIONS="parse txn calls scale"

usage() {
	echo "usage: bench/run.sh BUILD_DIR" >&2
	exit 2
}
[ $# -eq 1 ] || usage
[ -d "$1" ] || { echo "bench/run.sh: no build directory $1" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
BUILD=$(cd "$1" && pwd)
RESULTS=$ROOT/bench/results
WORK=$BUILD/bench-work
OUT=$ROOT/BENCHMARKS.md

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=${BENCH_RUNS:-3}
	SECONDS_PER_RUN=${BENCH_SECONDS:-0.2}
	MSG_SECONDS=${BENCH_MSG_SECONDS:-0}
	CG_ITER=${BENCH_CG_ITER:-5}
	TXN_SECONDS=${BENCH_TXN_SECONDS:-0.2}
	TXN_N=${BENCH_TXN_N:-500}
else
	RUNS=${BENCH_RUNS:-7}
	SECONDS_PER_RUN=${BENCH_SECONDS:-0.8}
	MSG_SECONDS=${BENCH_MSG_SECONDS:-0.02}
	CG_ITER=${BENCH_CG_ITER:-20}
	TXN_SECONDS=${BENCH_TXN_SECONDS:-0.5}
	TXN_N=${BENCH_TXN_N:-2000}
fi
MEASURE=${BENCH_SECTIONS:-$SECTIONS}
STEP_TIMEOUT=${BENCH_TIMEOUT:-300}

# How busy the machine was: the load average, and the share of CPU time the
# hypervisor gave to others ("steal", on virtual machines) while we measured.
load_average() {
	cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown
}
cpu_counters() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat 2>/dev/null
}
LOAD_AT_START=$(load_average)
CPU_AT_START=$(cpu_counters)

mkdir -p "$RESULTS" "$WORK"

# ------------------------------------------------------------------ helpers

# The command prefix that pins a benchmark to one CPU, when possible: it keeps
# the scheduler from moving the process between cores halfway through a run.
pin_prefix() {
	cpu=${BENCH_CPU:-}
	if [ "$cpu" = none ] || ! command -v taskset >/dev/null 2>&1; then
		return
	fi
	if [ -z "$cpu" ]; then
		cpu=$(($(nproc) - 1))
	fi
	echo "taskset -c $cpu"
}
PIN=$(pin_prefix)

# Runs a step in the foreground, stopped after STEP_TIMEOUT seconds.
step() {
	# shellcheck disable=SC2086
	timeout --foreground "$STEP_TIMEOUT" $PIN "$@"
}

# A value of BUILD/CMakeCache.txt.
cache_value() {
	sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt" 2>/dev/null | head -n 1
}


# The Ir total of a callgrind output file.
cg_total() {
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1" | head -n 1
}

# The inclusive Ir of one function in a callgrind output file, 0 if absent.
cg_inclusive() {
	cg_functions "$1" --inclusive=yes |
		awk -F'\t' -v fn="$2" '$1 == fn && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }'
}

# ------------------------------------------------------------------ parse

PARSE_TSV=$RESULTS/parse.tsv
PARSE_CG_TSV=$RESULTS/parse-callgrind.tsv

section_parse_run() {
	bin=$BUILD/bench/bench_parse
	[ -x "$bin" ] || { echo "bench/run.sh: $bin not built (configure with -DSIPD_BENCH=ON)" >&2; exit 1; }
	echo "== bench/parse: timing ($RUNS runs of ${SECONDS_PER_RUN}s per parser)"
	step "$bin" --corpus "$ROOT/bench/parse/corpus" --runs "$RUNS" --seconds "$SECONDS_PER_RUN" \
		--msg-seconds "$MSG_SECONDS" --tsv "$PARSE_TSV" ||
		{ echo "bench/run.sh: bench_parse failed" >&2; exit 1; }
	section_parse_callgrind "$bin"
}

# Instructions per message: the difference between N and 2N passes, so that
# start-up, library initialisation and the checks before timing cancel out.
section_parse_callgrind() {
	bin=$1
	: > "$PARSE_CG_TSV"
	rm -f "$RESULTS/parse-profile-ours.tsv"
	if [ "$CG_ITER" -le 0 ] || ! command -v valgrind >/dev/null 2>&1; then
		echo "== bench/parse: callgrind skipped (valgrind missing or BENCH_CG_ITER=0)"
		return
	fi
	nmsg=$(awk -F'\t' '$1 == "corpus" { print $2 }' "$PARSE_TSV")
	# shellcheck disable=SC2013 # parser names are single words
	for p in $(awk -F'\t' '$1 == "parser" { print $2 }' "$PARSE_TSV"); do
		echo "== bench/parse: callgrind, $p"
		for n in "$CG_ITER" $((CG_ITER * 2)); do
			step valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.$p.$n" \
				"$bin" --corpus "$ROOT/bench/parse/corpus" --parser "$p" --iterations "$n" \
				>"$WORK/callgrind.$p.$n.log" 2>&1 ||
				{ echo "bench/run.sh: callgrind of $p failed, see $WORK/callgrind.$p.$n.log" >&2; exit 1; }
		done
		a=$(cg_total "$WORK/callgrind.$p.$CG_ITER")
		b=$(cg_total "$WORK/callgrind.$p.$((CG_ITER * 2))")
		printf 'instr\t%s\t%s\t%s\t%s\t%s\n' "$p" "$CG_ITER" "$nmsg" "$a" "$b" >> "$PARSE_CG_TSV"
		callgrind_annotate "$WORK/callgrind.$p.$((CG_ITER * 2))" > "$WORK/callgrind.$p.txt" 2>/dev/null || true
	done
	section_parse_shares
	section_parse_profile "$nmsg"
}

# Where our parser's instructions go: per function, the count of 2N passes
# minus that of N, per message. Self counts of a function's entries add up;
# inclusive ones overlap (each entry counts the whole call), so take the largest.
section_parse_profile() {
	f1=$WORK/callgrind.ours.$CG_ITER
	f2=$WORK/callgrind.ours.$((CG_ITER * 2))
	[ -f "$f1" ] && [ -f "$f2" ] || return 0
	for kind in self inclusive; do
		opt=
		[ "$kind" = inclusive ] && opt=--inclusive=yes
		cg_functions "$f1" $opt > "$WORK/fn1"
		cg_functions "$f2" $opt > "$WORK/fn2"
		awk -F'\t' -v kind="$kind" -v per="$((CG_ITER * $1))" '
			function put(m, k, v) { if (kind == "self") m[k] += v; else if (v > m[k]) m[k] = v }
			# The harness around the parser: main, start-up, the call site.
			$1 ~ /^(main|ours_parse|[(]below main[)]|0x[0-9a-f]+|__libc_start.*)$/ { next }
			NR == FNR { put(a, $1, $2); next }
			{ put(b, $1, $2) }
			END { for (k in b) if (b[k] - a[k] > 0) printf "%s\t%s\t%.0f\n", kind, k, (b[k] - a[k]) / per }' \
			"$WORK/fn1" "$WORK/fn2" | sort -t "$(printf '\t')" -k3,3nr | head -n 15
	done > "$RESULTS/parse-profile-ours.tsv"
}

# How much of libre's work is its random tag rather than parsing, measured the
# same way (2N minus N), so that the report can say it with a figure.
section_parse_shares() {
	f1=$WORK/callgrind.re.$CG_ITER
	f2=$WORK/callgrind.re.$((CG_ITER * 2))
	[ -f "$f1" ] && [ -f "$f2" ] || return 0
	a=$(cg_inclusive "$f1" rand_u64)
	b=$(cg_inclusive "$f2" rand_u64)
	printf 'share\tre\trand_u64\t%s\t%s\n' "${a:-0}" "${b:-0}" >> "$PARSE_CG_TSV"
}


section_parse_report() {
	# The settings the figures were measured with, not today's environment.
	runs=$(awk -F'\t' '$1 == "config" { print $2 }' "$PARSE_TSV")
	secs=$(awk -F'\t' '$1 == "config" { print $3 + 0 }' "$PARSE_TSV")
	msg_secs=$(awk -F'\t' '$1 == "config" { print $4 + 0 }' "$PARSE_TSV")
	cg_iter=$(awk -F'\t' '$1 == "instr" { print $3; exit }' "$PARSE_CG_TSV" 2>/dev/null)
	cat <<EOF
## Parser: \`bench/parse\`

Messages per second and MB/s of our parser and, in the same process and the
same run, of the parsers of libosip2, sofia-sip and libre, over one corpus of
realistic messages. Source: \`bench/parse/\`; raw figures:
\`bench/results/parse.tsv\` and \`bench/results/parse-callgrind.tsv\`.

### Method

- **Corpus**: the \`*.sip\` files of \`bench/parse/corpus/\` (below), CRLF line
  endings, Content-Length equal to the body (checked on load). Each timed run
  parses the whole corpus over and over, round-robin, message after message.
- **Checks first**: before any timing every parser parses every message once
  and the result is inspected (start line, Via, From, To, Call-ID and CSeq
  really parsed, the body whole, and for sofia-sip no header turned into an
  error header). Our parser must accept every message or the benchmark stops;
  a message a peer rejects is left out for all parsers, and said so below.
- **Timing**: $runs runs per parser of $secs s each (whole passes over the
  corpus until the time is up, \`clock_gettime(CLOCK_MONOTONIC)\` read once per
  pass), after a warm-up of a quarter of that. Within a run the parsers take
  turns in a rotating order. Reported: the median run, the slowest and fastest
  runs, and the ratio of our median to each parser's. MB/s counts whole
  messages (headers and body), 1 MB = 10^6 bytes.
- **Per message**: then each message alone, $msg_secs s per message, parser and
  run; the table gives the median time of one parse.
- **Instructions**: \`valgrind --tool=callgrind\` of \`bench_parse --parser NAME
  --iterations N\`, which parses the corpus N times without a clock; the count
  for N = ${cg_iter:-?} is subtracted from the count for 2N and divided by N times the
  corpus size, so start-up and the checks cancel out. Unlike times, these
  figures do not depend on the machine's load.
- **Build**: everything in the same process; our library static, the peers the
  distribution's shared libraries. Our library and the benchmark are compiled
  with the same optimisation as Debian uses for its packages (see Machine); the
  Debian packages also carry Debian's hardening flags, ours does not.
- The benchmark was pinned to one CPU with taskset when available.

### What each parser does

Each parser is asked for the work a SIP stack does on receiving a message:
parse the start line and every header into structures, then release them.

- **ours** (sipdialog): \`sipd_msg_parse()\` frames the datagram, parses the
  start line (the Request-URI into a \`struct sipd_uri\`), splits and
  identifies every header and parses the top Via, From, To, Call-ID, CSeq,
  Max-Forwards and Content-Length; then \`sipd_msg_check()\` parses every header
  the library knows to its grammar (each value of a list header: all Vias,
  Routes, Record-Routes, Contacts with their URIs, Allow, Supported,
  Authorization, Session-Expires, Event, Subscription-State, Reason...). Zero
  copy, no allocation: the result is slices of the input in 64 header slots on
  the stack. Headers it does not know (here P-Asserted-Identity) are kept as
  name and value. The body is a slice, not parsed.
- **osip** (libosip2): \`osip_message_init()\`, \`osip_message_parse()\`,
  \`osip_message_free()\`. Copies the message, unfolds continuation lines,
  parses the start line (the Request-URI into an \`osip_uri_t\`), copies every
  header name and value into strings of their own, splits list headers at
  their commas, and parses the headers it knows into structures: Via, From,
  To, Contact, Route, Record-Route, CSeq, Call-ID, Content-Type,
  Content-Length, Authorization and the other credentials and challenges,
  Allow, Accept*, Alert-Info, Call-Info, Error-Info, MIME-Version,
  Content-Encoding. Every other header (Max-Forwards, Supported, Event,
  Subscription-State, Session-Expires...) stays a name and value string. The
  body is copied, not parsed.
- **sofia** (sofia-sip-ua): \`msg_make(sip_default_mclass(), 0, buf, len)\`,
  then \`msg_destroy()\` — what sofia's transports do: a \`msg_t\` with its
  memory home preloaded, the bytes copied into its buffer, \`msg_extract()\`.
  That parses the start line and then, eagerly, every header with its class's
  parser into structures (URLs and parameters of Via, Route, Record-Route,
  Contact, From, To; token lists for Allow, Supported, Require; Event,
  Subscription-State, Session-Expires, Reason, Authorization...). Headers
  outside the default class (here P-Asserted-Identity) are kept as name and
  value. Success means no error flag and \`msg_extract_errors() == 0\`. The
  body is kept as a payload, not parsed.
- **re** (libre): \`sip_msg_decode()\` on an mbuf pointing at the message
  (no copy), then \`mem_deref()\`. Matches the start line and decodes the
  Request-URI, splits every header into a name and value entry in a list and
  a hash table (list headers split at their commas), and decodes into
  structures only the top Via, From, To, CSeq and Content-Type; Call-ID,
  Max-Forwards, Expires and Content-Length are remembered as text, and all
  other headers (the other Vias, Route, Record-Route, Contact, Authorization...)
  are not parsed at all until the application asks. So libre does less work
  than the others here. It also draws a random 64-bit tag for every message
  (\`rand_u64()\`, through OpenSSL in Debian's build), counted in its time. It
  stops at the end of the headers.

### Corpus

| file | start line | bytes | body bytes |
|---|---|--:|--:|
EOF
	awk -F'\t' '$1 == "message" { print $2 "\t" $3 "\t" $4 }' "$PARSE_TSV" |
		while IFS="$(printf '\t')" read -r name len body; do
			line=$(head -n 1 "$ROOT/bench/parse/corpus/$name" | tr -d '\r')
			# shellcheck disable=SC2016 # the backquotes are Markdown
			printf '| %s | `%s` | %s | %s |\n' "$name" "$line" "$len" "$body"
		done
	section_parse_report_figures
}

section_parse_report_figures() {
	awk -F'\t' "$AWK_FMT"'
	$1 == "corpus" { nmsg = $2; nbytes = $3; ntotal = $4 }
	$1 == "parser" { lib[$2] = $3 }
	$1 == "missing" { missing = missing sprintf("- %s left out: %s.\n", $2, $3) }
	$1 == "rejected" { rejected = rejected sprintf("- %s rejected %s (%s): left out for all parsers.\n", $2, $3, $4) }
	$1 == "summary" {
		order[++np] = $2
		row[$2] = sprintf("| %s | %s | %s | %s – %s | %.1f | %.1f – %.1f | %.2f |", $2, lib[$2], grp($3), grp($4), grp($5), $6, $7, $8, $9)
	}
	$1 == "fastest" { fastest = $2; fratio = $3 }
	END {
		printf "\n### Throughput\n\n"
		printf "%d messages, %s bytes per pass over the corpus.\n\n", nmsg, grp(nbytes)
		print "| parser | library | messages/s (median) | min – max | MB/s (median) | min – max | ours ÷ parser |"
		print "|---|---|--:|--:|--:|--:|--:|"
		for (i = 1; i <= np; i++) print row[order[i]]
		verdict = "**not met**"
		if (fratio >= 2) verdict = "met"
		if (fastest != "")
			printf "\nOurs against the fastest peer (%s): **%.2f×** (target: at least 2×, %s).\n", fastest, fratio, verdict
		if (missing != "" || rejected != "") printf "\n%s%s", missing, rejected
	}' "$PARSE_TSV"
	section_parse_report_instructions
	section_parse_report_profile
	section_parse_report_messages
}

section_parse_report_profile() {
	f=$RESULTS/parse-profile-ours.tsv
	[ -s "$f" ] || return 0
	awk -F'\t' "$AWK_FMT"'
	$1 == "self" { self[++ns] = $2; sv[ns] = $3 }
	$1 == "inclusive" { inc[++ni] = $2; iv[ni] = $3 }
	END {
		printf "\n### Where our parser spends its instructions\n\n"
		printf "callgrind, per message, counted like the table above. Self: in the\n"
		printf "function itself; inclusive: with what it calls.\n\n"
		print "| self | function | | inclusive | function |"
		print "|--:|---|---|--:|---|"
		n = ns > ni ? ns : ni
		if (n > 12) n = 12
		for (i = 1; i <= n; i++) {
			a = ""; b = ""; c = ""; d = ""
			if (i <= ns) { a = grp(sv[i]); b = "`" self[i] "`" }
			if (i <= ni) { c = grp(iv[i]); d = "`" inc[i] "`" }
			printf "| %s | %s | | %s | %s |\n", a, b, c, d
		}
	}' "$f"
}

section_parse_report_instructions() {
	[ -s "$PARSE_CG_TSV" ] || { printf '\n### Instructions per message\n\nNot measured (valgrind missing or BENCH_CG_ITER=0).\n'; return; }
	nbytes=$(awk -F'\t' '$1 == "corpus" { print $3 }' "$PARSE_TSV")
	awk -F'\t' -v nbytes="$nbytes" "$AWK_FMT"'
	$1 == "instr" { order[++np] = $2; per[$2] = ($6 - $5) / ($3 * $4); iter = $3; nmsg = $4 }
	$1 == "share" { share[$2] = $5 - $4 }
	END {
		printf "\n### Instructions per message\n\n"
		printf "callgrind, (count for %d passes − count for %d passes) ÷ (%d × %d messages).\n\n", iter * 2, iter, iter, nmsg
		print "| parser | instructions / message | instructions / byte | parser ÷ ours |"
		print "|---|--:|--:|--:|"
		for (i = 1; i <= np; i++) {
			p = order[i]
			r = "–"
			if ("ours" in per) r = sprintf("%.2f", per[p] / per["ours"])
			printf "| %s | %s | %.1f | %s |\n", p, grp(per[p]), per[p] * nmsg / nbytes, r
		}
		s = 0
		if ("re" in share) s = share["re"]
		if (s > 0 && per["re"] > 0)
			printf "\nOf libre'"'"'s instructions, %.0f%% go to the random tag of each message (`rand_u64()`).\n", 100 * s / (per["re"] * iter * nmsg)
	}' "$PARSE_CG_TSV"
}

section_parse_report_messages() {
	grep -q '^msg' "$PARSE_TSV" || return 0
	awk -F'\t' "$AWK_FMT"'
	$1 == "parser" { order[++np] = $2 }
	$1 == "message" { names[++nm] = $2; len[$2] = $3 }
	$1 == "msg" { ns[$2, $3] = $5 }
	END {
		printf "\n### Per message\n\nNanoseconds per parse, median of the runs.\n\n| message | bytes |"
		for (i = 1; i <= np; i++) printf " %s |", order[i]
		printf "\n|---|--:|"
		for (i = 1; i <= np; i++) printf "--:|"
		printf "\n"
		for (j = 1; j <= nm; j++) {
			printf "| %s | %s |", names[j], grp(len[names[j]])
			for (i = 1; i <= np; i++) printf " %s |", grp(ns[order[i], names[j]])
			printf "\n"
		}
	}' "$PARSE_TSV"
}

# ------------------------------------------------------------------ txn

TXN_TSV=$RESULTS/txn.tsv
TXN_PROFILE_TSV=$RESULTS/txn-profile.tsv
TXN_KINDS="options invite486 invite200"
# The harness of bench_txn (its own functions, the allocation counters, the
# program's start) as callgrind names them: shown in the profile, but marked.
TXN_HARNESS='^(main|bench_.*|__wrap_.*|alloc_.*|[(]below main[)]|0x[0-9a-f]+|__libc_start.*)$'

section_txn_run() {
	bin=$BUILD/bench/bench_txn
	[ -x "$bin" ] || { echo "bench/run.sh: $bin not built (configure with -DSIPD_BENCH=ON)" >&2; exit 1; }
	echo "== bench/txn: timing ($RUNS runs of ${TXN_SECONDS}s per kind)"
	step "$bin" --time --runs "$RUNS" --seconds "$TXN_SECONDS" --tsv "$WORK/txn-time.tsv" ||
		{ echo "bench/run.sh: bench_txn --time failed" >&2; exit 1; }
	cp "$WORK/txn-time.tsv" "$TXN_TSV"
	rm -f "$TXN_PROFILE_TSV"
	if [ "$TXN_N" -le 0 ]; then
		echo "== bench/txn: counted runs skipped (BENCH_TXN_N=0)"
		return 0
	fi
	cg=yes
	command -v valgrind >/dev/null 2>&1 || cg=
	[ -n "$cg" ] || echo "== bench/txn: valgrind missing: allocations only, no instruction counts"
	for k in $TXN_KINDS; do
		echo "== bench/txn: $k, $TXN_N and $((TXN_N * 2)) transactions${cg:+ under callgrind}"
		for n in "$TXN_N" $((TXN_N * 2)); do
			f=$WORK/callgrind.txn.$k.$n
			if [ -n "$cg" ]; then
				step valgrind --tool=callgrind --callgrind-out-file="$f" \
					"$bin" --kind "$k" --count "$n" >"$f.out" 2>"$f.log" ||
					{ echo "bench/run.sh: callgrind of bench_txn $k failed, see $f.log" >&2; exit 1; }
				printf 'instr\t%s\t%s\t%s\t%s\t%s\n' "$k" "$n" "$(cg_total "$f")" \
					"$(cg_inclusive "$f" sipd_msg_parse)" "$(cg_inclusive "$f" sipd_msg_check)" >> "$TXN_TSV"
			else
				step "$bin" --kind "$k" --count "$n" >"$f.out" 2>"$f.log" ||
					{ echo "bench/run.sh: bench_txn $k failed, see $f.log" >&2; exit 1; }
			fi
			# The allocation figures: the same under valgrind or not.
			grep '^count' "$f.out" >> "$TXN_TSV"
		done
		if [ -n "$cg" ]; then
			section_txn_profile "$k"
		fi
	done
}

# Where the instructions of one kind go: per function, the count of 2N
# transactions minus that of N, per transaction (as section_parse_profile).
section_txn_profile() {
	f1=$WORK/callgrind.txn.$1.$TXN_N
	f2=$WORK/callgrind.txn.$1.$((TXN_N * 2))
	for kind in self inclusive; do
		opt=
		[ "$kind" = inclusive ] && opt=--inclusive=yes
		cg_functions "$f1" $opt > "$WORK/fn1"
		cg_functions "$f2" $opt > "$WORK/fn2"
		# GCC's clones (f.constprop.0, f.isra.0, f.part.0) count as f.
		awk -F'\t' -v kind="$kind" -v k="$1" -v per="$TXN_N" '
			function put(m, f, v) {
				sub(/[.](constprop|isra|part|cold)[.].*$/, "", f)
				if (kind == "self") m[f] += v; else if (v > m[f]) m[f] = v
			}
			NR == FNR { put(a, $1, $2); next }
			{ put(b, $1, $2) }
			END { for (f in b) if (b[f] - a[f] > 0) printf "%s\t%s\t%s\t%.0f\n", kind, k, f, (b[f] - a[f]) / per }' \
			"$WORK/fn1" "$WORK/fn2" | sort -t "$(printf '\t')" -k4,4nr > "$WORK/fn.$kind"
		head -n 40 "$WORK/fn.$kind"
	done >> "$TXN_PROFILE_TSV"
	# What the harness's own functions cost, for the report.
	awk -F'\t' -v k="$1" -v harness="$TXN_HARNESS" '
		$3 ~ harness { h += $4 } END { printf "harness\t%s\t%.0f\n", k, h }' "$WORK/fn.self" >> "$TXN_PROFILE_TSV"
}

section_txn_report() {
	runs=$(awk -F'\t' '$1 == "time" { print $3; exit }' "$TXN_TSV")
	secs=$(awk -F'\t' '$1 == "time" { print $4 + 0; exit }' "$TXN_TSV")
	n=$(awk -F'\t' '$1 == "count" { print $3; exit }' "$TXN_TSV")
	cat <<TXT
## Transactions: \`bench/txn\`

What one whole SIP transaction costs the stack: instructions, allocations
and time. Source: \`bench/txn/main.c\`; raw figures: \`bench/results/txn.tsv\`
and \`bench/results/txn-profile.tsv\`.

### Method

- **Two stacks, one process**: a client stack (10.0.0.1:5060) and a server
  stack (10.0.0.2:5060), both UDP, made with \`sipd_stack_create()\`. What one
  sends goes into an in-memory queue and is handed to the other's
  \`sipd_stack_recv()\`; no socket, no thread. Time is a virtual clock that
  the benchmark moves.
- **One transaction** is everything both stacks do for it, from the client
  application's \`sipd_stack_request()\` until neither stack holds anything
  of it:
  - **options**: OPTIONS from the client; the server's application answers
    200 (with Allow and Accept) from its request callback. 2 messages.
  - **invite486**: INVITE with an SDP offer; the server's application answers
    486; the client transaction sends the ACK (RFC 3261 §17.1.1.3) and the
    server transaction absorbs it. 3 messages.
  - **invite200**: INVITE with an SDP offer; the server's application answers
    200 with Contact and an SDP answer; the client's application builds the
    ACK from the 2xx (From, To with its tag, Call-ID, the CSeq number) and
    sends it to the Contact with \`sipd_stack_send_ack()\` (§13.2.2.4); the
    server's application receives it. 3 messages. No dialog layer: only the
    transactions and the ACK.

  That is, for each: one client and one server transaction; every message
  built, sent, then parsed and checked by its receiver (\`sipd_msg_parse()\`
  and \`sipd_msg_check()\`); the matching; the callbacks; and the timers.
  After the messages, the clock jumps from deadline to deadline until
  neither stack has a timer left (Timers K and J; D and I; M and L), each
  firing and ending its transaction. The answer comes at once, so there is
  no 100 Trying, and nothing is lost, so nothing is retransmitted. The
  transactions run one after the other. At the end the benchmark checks
  that each ended with the expected response and that both stacks report no
  transaction left (\`sipd_stack_stats()\`), and stops otherwise.
- **Instructions**: \`valgrind --tool=callgrind\` of \`bench_txn --kind KIND
  --count N\` for N = ${n:-?} and 2N; (count for 2N − count for N) ÷ N, so that
  start-up and the first transaction's one-time allocations (the stacks' hash
  tables and timer heap) cancel out. The count includes the harness: the
  queue (one copy of each message), the random source (xorshift, where a real
  host would pay for a cryptographic generator), the allocation counters,
  and the client's headers (made once; two 8-digit fields patched per
  transaction).
- **Allocations**: bench_txn is linked with \`-Wl,--wrap=malloc\` (and calloc,
  realloc, free), which sends the stacks' calls through counters; the harness
  itself allocates nothing. Calls and bytes asked for per transaction,
  counted like the instructions, (2N − N) ÷ N. The peak is the most heap both
  stacks held at once, from their creation on; it is the same for N and 2N.
- **Time**: ${runs:-?} runs of ${secs:-?} s per kind (after a warm-up of a quarter of
  that), whole transactions, the clock read every 64 of them; the median,
  slowest and fastest runs. The same build as the parser's (see Machine).
TXT
	section_txn_report_figures
	section_txn_report_profile
}

section_txn_report_figures() {
	[ -s "$TXN_TSV" ] || return 0
	# The parser's own figure, for comparison, when its section has one.
	pours=$(awk -F'\t' '$1 == "instr" && $2 == "ours" { printf "%.0f", ($6 - $5) / ($3 * $4) }' "$PARSE_CG_TSV" 2>/dev/null)
	pavg=$(awk -F'\t' '$1 == "corpus" { printf "%.0f", $3 / $2 }' "$PARSE_TSV" 2>/dev/null)
	awk -F'\t' -v pours="${pours:-0}" -v pavg="${pavg:-0}" "$AWK_FMT"'
	$1 == "time" { med[$2] = $5; lo[$2] = $6; hi[$2] = $7; if (!($2 in kseen)) { kseen[$2] = 1; torder[++nt] = $2 } }
	$1 == "count" {
		k = $2
		if (!(k in n1)) { order[++nk] = k; n1[k] = $3; m1[k] = $4; w1[k] = $5; c1[k] = $6; b1[k] = $7 }
		else { n2[k] = $3; m2[k] = $4; w2[k] = $5; c2[k] = $6; b2[k] = $7; peak[k] = $9 }
	}
	$1 == "instr" {
		if (!(($2, "a") in ir)) { ir[$2, "a"] = $4; pa[$2] = $5 + $6 }
		else { ir[$2, "b"] = $4; pb[$2] = $5 + $6; hasir[$2] = 1 }
	}
	END {
		if (nk) {
			printf "\n### Per transaction\n\n"
			print "| transaction | messages | bytes sent | instructions | instructions / message | of which parsing | allocations | bytes allocated | peak heap, both stacks |"
			print "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
		}
		for (i = 1; i <= nk; i++) {
			k = order[i]; d = n2[k] - n1[k]
			msgs = (m2[k] - m1[k]) / d
			ins = "–"; per = "–"; share = "–"
			if (hasir[k]) {
				x = (ir[k, "b"] - ir[k, "a"]) / d; ins = "**" grp(x) "**"; per = grp(x / msgs)
				share = sprintf("%.0f%%", 100 * (pb[k] - pa[k]) / (ir[k, "b"] - ir[k, "a"]))
				tot[k] = x
			}
			printf "| %s | %d | %s | %s | %s | %s | %.1f | %s | %s |\n", k, msgs, grp((w2[k] - w1[k]) / d), ins, per, share, (c2[k] - c1[k]) / d, grp((b2[k] - b1[k]) / d), grp(peak[k])
		}
		if (nk) {
			printf "\nInstructions: callgrind, (count for %d − count for %d transactions) ÷ %d, both\n", n2[order[1]], n1[order[1]], n2[order[1]] - n1[order[1]]
			printf "stacks and the harness. Parsing: the instructions inside `sipd_msg_parse()` and\n"
			printf "`sipd_msg_check()` wherever called: on every receipt, and again when a server\n"
			printf "transaction parses its own copy of the request (and an INVITE client transaction\n"
			printf "its own INVITE, for the ACK of a 486). Bytes sent: every message of the\n"
			printf "transaction as it left its stack.\n"
		}
		if (pours > 0 && ("invite200" in tot)) {
			w = (w2["invite200"] - w1["invite200"]) / (m2["invite200"] - m1["invite200"])
			printf "\nFor comparison, the parser benchmark above counts %s instructions per message\n", grp(pours)
			printf "for our parser alone, on a corpus of larger messages (%s bytes on average, against\n", grp(pavg)
			printf "%s here for invite200): a whole invite200 transaction, both sides, costs as much\n", grp(w)
			printf "as parsing %.1f of those messages.\n", tot["invite200"] / pours
		}
		if (nt) {
			printf "\n### Transactions per second\n\n"
			print "Both stacks on one CPU, whole transactions one after another: each figure is"
			print "a client and a server transaction."
			print ""
			print "| transaction | transactions/s (median) | min – max | µs per transaction |"
			print "|---|--:|--:|--:|"
		}
		for (i = 1; i <= nt; i++) {
			k = torder[i]
			printf "| %s | %s | %s – %s | %.1f |\n", k, grp(med[k]), grp(lo[k]), grp(hi[k]), 1e6 / med[k]
		}
	}' "$TXN_TSV"
}

section_txn_report_profile() {
	[ -s "$TXN_PROFILE_TSV" ] || return 0
	awk -F'\t' -v harness="$TXN_HARNESS" "$AWK_FMT"'
	function name(f) { return "`" f "`" (f ~ harness ? " (harness)" : "") }
	$1 == "self" {
		if (!($2 in seenk)) { seenk[$2] = 1; kinds[++nk] = $2 }
		if (!($3 in seenf)) { seenf[$3] = 1; fn[++nf] = $3 }
		self[$3, $2] = $4; sum[$3] += $4
	}
	$1 == "inclusive" && $2 == "invite200" { inc[++ni] = $3; iv[ni] = $4 }
	$1 == "harness" { hk[++nh] = $2; hv[nh] = $3 }
	END {
		printf "\n### Where the instructions go\n\n"
		print "callgrind, per transaction, counted like the table above. Self: in the"
		print "function itself (with the code inlined into it); the 15 largest by their"
		print "sum over the three kinds. Functions of the harness are marked; all of"
		printf "them together cost"
		for (j = 1; j <= nh; j++) printf "%s %s (%s)", j == 1 ? "" : (j == nh ? " and" : ","), grp(hv[j]), hk[j]
		print " instructions per"
		print "transaction, besides the copies into the queue (inside `memcpy`)."
		print ""
		printf "| function |"
		for (j = 1; j <= nk; j++) printf " %s |", kinds[j]
		printf "\n|---|"
		for (j = 1; j <= nk; j++) printf "--:|"
		printf "\n"
		# The largest first, by selection (mawk has no sort).
		for (r = 1; r <= 15 && r <= nf; r++) {
			best = ""
			for (i = 1; i <= nf; i++)
				if (!(fn[i] in shown) && (best == "" || sum[fn[i]] > sum[best])) best = fn[i]
			shown[best] = 1
			printf "| %s |", name(best)
			for (j = 1; j <= nk; j++) printf " %s |", grp(self[best, kinds[j]])
			printf "\n"
		}
		if (ni) {
			printf "\nInclusive (with what it calls), invite200, the 15 largest below the\n"
			printf "harness loop. The harness callbacks (the queue copy, the answer of the\n"
			printf "server application, the ACK of the client application) run inside the\n"
			printf "stack functions that call them, and count there.\n\n"
			print "| inclusive | function |"
			print "|--:|---|"
			r = 0
			for (i = 1; i <= ni && r < 15; i++) {
				if (inc[i] ~ /^(main|bench_transaction|bench_deliver|bench_settle|count_form|[(]below main[)]|0x[0-9a-f]+|__libc_start.*)$/) continue
				printf "| %s | %s |\n", grp(iv[i]), name(inc[i]); r++
			}
		}
	}' "$TXN_PROFILE_TSV"
}

# ------------------------------------------------------------------ calls

# Whole calls against the peers: bench/calls.sh measures (its results go to
# bench/results/calls*.tsv) and writes its own part of the report and chart.
section_calls_run() {
	"$ROOT/bench/calls.sh" run "$BUILD" ||
		{ echo "bench/run.sh: bench/calls.sh failed" >&2; exit 1; }
}

section_calls_report() {
	"$ROOT/bench/calls.sh" report
}

# ------------------------------------------------------------------ scale

# The cost of a call against the calls held open: bench/scale.sh.
section_scale_run() {
	"$ROOT/bench/scale.sh" run "$BUILD" ||
		{ echo "bench/run.sh: bench/scale.sh failed" >&2; exit 1; }
}

section_scale_report() {
	"$ROOT/bench/scale.sh" report
}

# ------------------------------------------------------------------ report

machine_report() {
	cc=$(cache_value CMAKE_C_COMPILER)
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	# shellcheck disable=SC1091
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	# the sources measured, as recorded when the measuring began (a report
	# rewritten later says which commit it was written at too)
	measured=$(machine_value measured)
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "none")
	if [ -n "$measured" ]; then
		[ "$measured" = "$commit" ] || measured="$measured (report written at $commit)"
		commit=$measured
	else
		commit="not recorded for this run; report written at $commit"
	fi
	cat <<EOF
## Machine

| | |
|---|---|
| date (UTC) | $(date -u +%Y-%m-%d) |
| sources of the last sections measured ($(machine_value sections)) | commit $commit |
| CPU | ${cpu:-unknown} |
| logical CPUs | $(grep -c '^processor' /proc/cpuinfo 2>/dev/null || echo '?'), parser and transaction benchmarks ${PIN:+pinned with }${PIN:-not pinned} (the calls section pins its own: see there) |
| load average, start and end | $(machine_value load_start) / $(machine_value load_end) |
| CPU time stolen by the hypervisor while measuring | $(steal_share) |
| OS | ${os:-unknown}, $(uname -sr), $(uname -m) |
| compiler | $("${cc:-cc}" --version 2>/dev/null | head -n 1) |
| our build | CMake $(cache_value CMAKE_BUILD_TYPE), $(cache_value SIPD_BENCH_COPT | tr ';' ' '), static library |
| libosip2 | $(pkg_version libosip2-dev) (Debian package libosip2-dev) |
| sofia-sip | $(pkg_version libsofia-sip-ua-dev) (Debian package libsofia-sip-ua-dev) |
| libre | $(pkg_version libre-dev) (Debian package libre-dev) |
| valgrind | $(valgrind --version 2>/dev/null || echo "not installed") |
| Kamailio | $(pkg_version kamailio) (Debian package kamailio) |
| SIPp | $(pkg_version sip-tester) (Debian package sip-tester) |
| gnuplot | $(pkg_version gnuplot-nox) (Debian package gnuplot-nox) |

Times depend on this machine and on whatever else it was doing (see the load
average, the stolen time and the min – max spread); instruction counts do not.
EOF
	busy_warning
}

machine_value() {
	awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$RESULTS/machine.tsv" 2>/dev/null
}

# The steal share between the two readings of /proc/stat, as a percentage.
steal_share() {
	awk -F'\t' '$1 == "steal" {
		split($2, a, " "); split($3, b, " ")
		if (b[1] > a[1]) printf "%.0f%%", 100 * (b[2] - a[2]) / (b[1] - a[1]); else printf "unknown"
	}' "$RESULTS/machine.tsv" 2>/dev/null
}

# Says so when the machine was busy: more than half its CPUs loaded at the
# start or at the end of the measurements.
busy_warning() {
	cpus=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || echo 1)
	for l in "$(machine_value load_start)" "$(machine_value load_end)"; do
		if awk -v l="${l%% *}" -v c="$cpus" 'BEGIN { exit !(l + 0 > c / 2) }'; then
			printf '\n**The machine was busy while measuring** (load average above half its\n'
			printf 'CPUs): take the times with caution and trust the instruction counts.\n'
			return
		fi
	done
}

write_report() {
	tmp=$OUT.tmp
	{
		cat <<EOF
# Benchmarks

<!-- Generated by bench/run.sh from bench/results/; do not edit by hand. -->

Generated by \`bench/run.sh\` (run \`make bench\`); do not edit by hand, edit
the script and run it again.

EOF
		machine_report
		for s in $SECTIONS; do
			echo
			"section_${s}_report"
		done
		# the soak test is too long for `make bench`: bench/soak.sh records
		# its results there, and they are carried into the report as they are
		for f in "$RESULTS/soak.md" "$RESULTS/soak-asan.md"; do
			[ -s "$f" ] || continue
			echo
			cat "$f"
		done
	} > "$tmp"
	mv "$tmp" "$OUT"
	echo "== wrote $OUT"
}

if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
	MEASURED_AT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
	[ -z "$(git -C "$ROOT" status --porcelain -- src include tools 2>/dev/null)" ] ||
		MEASURED_AT="$MEASURED_AT with uncommitted changes under src/, include/ or tools/"
	# the sections record it too: the programs were built from it, whatever
	# is committed while they run
	export MEASURED_AT
	for s in $MEASURE; do
		"section_${s}_run"
	done
	# Kept with the results, so that a report rewritten later tells the truth.
	printf 'load_start\t%s\nload_end\t%s\nsteal\t%s\t%s\nmeasured\t%s\nsections\t%s\n' \
		"$LOAD_AT_START" "$(load_average)" "$CPU_AT_START" "$(cpu_counters)" "$MEASURED_AT" \
		"$MEASURE" > "$RESULTS/machine.tsv"
fi
write_report
