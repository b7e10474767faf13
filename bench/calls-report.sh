# bench/calls-report.sh — the "Calls" section of BENCHMARKS.md and its chart,
# from bench/results/calls.tsv and calls-profile.tsv alone. Sourced by
# bench/calls.sh (`bench/calls.sh report`), which sets ROOT, RESULTS, TSV,
# PROFILE_TSV, CHART and AWK_FMT.

# Medians, minima and maxima of a list kept as a string "v1 v2 ...".
AWK_STATS='
function sortv(s, a,   n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n
}
function med(s,   a, n) { n = sortv(s, a); if (!n) return ""; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function vmin(s,   a, n) { n = sortv(s, a); return n ? a[1] : "" }
function vmax(s,   a, n) { n = sortv(s, a); return n ? a[n] : "" }
function cnt(s,   a) { return split(s, a, " ") }
function label(t) {
	if (t == "ours") return "ours (uas)"; if (t == "re") return "libre"; if (t == "sofia") return "sofia-sip"
	if (t == "sipp") return "SIPp UAS"; if (t == "b2bua") return "ours (b2bua)"; if (t == "kamailio") return "Kamailio"
	return t
}'

# Every figure per target, as lines "KEY<TAB>TARGET<TAB>median<TAB>min<TAB>max<TAB>n":
# rate, srvcpu, sippcpu, instr, retrans, mem.COUNT.
calls_figures() {
	awk -F'\t' "$AWK_STATS"'
	$1 == "target" { order[++nt] = $2 }
	$1 == "rate" && $4 > 0 { v["rate", $2] = v["rate", $2] " " $4; v["srvcpu", $2] = v["srvcpu", $2] " " $5; v["sippcpu", $2] = v["sippcpu", $2] " " $6 }
	$1 == "instr" {
		if ($7 == 1 && $11 == 1 && $5 > 0 && $9 > 0) v["instr", $2] = v["instr", $2] " " ($9 - $5) / ($8 - $4)
		v["retrans", $2] = v["retrans", $2] " " ($6 + $10)
	}
	$1 == "mem" && $7 > 0 { k = "mem." $4; v[k, $2] = v[k, $2] " " ($6 - $5) * 1024 / $7; keys[k] = 1 }
	$1 == "mem" { k = "memup." $4; v[k, $2] = v[k, $2] " " $7; keys[k] = 1 }
	END {
		split("rate srvcpu sippcpu instr retrans", base, " ")
		for (i = 1; i <= 5; i++) keys[base[i]] = 1
		for (k in keys) for (i = 1; i <= nt; i++) {
			t = order[i]
			if ((k, t) in v) printf "%s\t%s\t%s\t%s\t%s\t%d\n", k, t, med(v[k, t]), vmin(v[k, t]), vmax(v[k, t]), cnt(v[k, t])
		}
	}' "$TSV"
}

calls_chart() {
	command -v gnuplot >/dev/null 2>&1 || return 0
	dat=$(mktemp)
	calls_figures | awk -F'\t' -v list="ours re sofia sipp b2bua kamailio" "$AWK_STATS"'
	{ m[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5 }
	END {
		n = split(list, t, " ")
		for (i = 1; i <= n; i++) {
			if (!(("rate", t[i]) in m) && !(("instr", t[i]) in m)) continue
			c = (t[i] == "ours" || t[i] == "b2bua") ? 2070940 : 10526880
			printf "\"%s\"\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", label(t[i]),
				(("rate", t[i]) in m) ? m["rate", t[i]] : "?", (("rate", t[i]) in m) ? lo["rate", t[i]] : "?",
				(("rate", t[i]) in m) ? hi["rate", t[i]] : "?", c,
				(("instr", t[i]) in m) ? m["instr", t[i]] / 1000 : "?", (("instr", t[i]) in m) ? lo["instr", t[i]] / 1000 : "?",
				(("instr", t[i]) in m) ? hi["instr", t[i]] / 1000 : "?"
		}
	}' > "$dat"
	# a dashed line between the UASes and the proxies
	sep=$(grep -c -v 'b2bua\|Kamailio' "$dat" || true)
	if [ -s "$dat" ]; then
		gnuplot <<EOF 2>/dev/null || true
set terminal pngcairo size 1100,460 font ",10"
set output '$CHART'
set datafile separator tab
set datafile missing "?"
set multiplot layout 1,2 title "sipdialog (green) against its peers: UDP on loopback, SIPp's UAC calling; UASes left of the dashed line, b2bua and proxy right (bars: median; whiskers: min - max)"
set style fill solid 0.85 border -1
set boxwidth 0.6
set xtics rotate by -25 nomirror
set ytics nomirror
set grid ytics
set yrange [0:*]
set xrange [-0.6:*]
set arrow 1 from $sep - 0.5, graph 0 to $sep - 0.5, graph 1 nohead dashtype 2 lc rgb "gray40"
set title "calls per second, sustained with no failed call"
plot '$dat' using 0:2:(0.6):5:xtic(1) with boxes lc rgb variable notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 ps 0 notitle
set title "thousands of instructions per call (callgrind)"
plot '$dat' using 0:6:(0.6):5:xtic(1) with boxes lc rgb variable notitle, \
     '' using 0:6:7:8 with yerrorbars lc rgb "black" pt 0 ps 0 notitle
unset multiplot
EOF
	fi
	rm -f "$dat"
}

calls_report() {
	[ -s "$TSV" ] || { printf '## Calls: `bench/calls.sh`\n\nNot measured yet.\n'; return 0; }
	calls_chart
	cfg() { awk -F'\t' -v i="$1" '$1 == "config" { print $i; exit }' "$TSV"; }
	quick=$(cfg 2)
	runs=$(cfg 3)
	trial=$(cfg 4)
	est=$(cfg 5)
	cgrate=$(cfg 6)
	cgn=$(cfg 7)
	cgx=$(cfg 8)
	memrate=$(cfg 9)
	memcounts=$(cfg 10 | tr ',' ' ')
	srvpin=$(cfg 11)
	sipppin=$(cfg 12)
	dur=$(awk -F'\t' '$1 == "duration" { print $2 }' "$TSV")
	rcvbufs=$(awk -F'\t' "$AWK_STATS"'$1 == "rcvbuf" { printf "%s%s %d KB", n++ ? ", " : "", label($2), $3 / 1024 }' "$TSV")
	c1=${memcounts%% *}
	c2=${memcounts##* }
	cat <<EOF
## Calls: \`bench/calls.sh\`

Whole calls over UDP on 127.0.0.1, SIPp's built-in UAC (\`sipp -sn uac\`)
calling: \`sipdialog uas\` against UASes on libre and sofia-sip and against
SIPp's own UAS, and \`sipdialog b2bua\` against Kamailio as a dialog-stateful
proxy, both with SIPp's UAS behind them. Sources: \`bench/calls.sh\`,
\`bench/peers/\`; raw figures: \`bench/results/calls.tsv\` and
\`bench/results/calls-profile.tsv\`.
EOF
	if [ "$quick" = 1 ]; then
		printf '\n**Quick pass** (BENCH_QUICK=1): one run, short trials and small counts; figures\n'
		printf 'for development only.\n'
	fi
	cat <<EOF

### Method

- **The call**: SIPp's built-in UAC scenario: INVITE with an SDP offer, 180,
  200 with the SDP answer, ACK, BYE at once (no pause), 200. Every server
  answers INVITE with 180 then 200 and an SDP answer, keeps the dialog until
  the BYE and answers it with 200.
- **The servers**:
  - **ours (uas)**: \`sipdialog uas --listen udp:127.0.0.1:PORT
    --max-transactions 4000000\`, as built by \`make bench\` (see Machine). The
    default cap of 100,000 server transactions sheds load with 503 beyond
    about 1,560 calls/s held for more than 32 s (each call keeps two server
    transactions 32 s after it over UDP: the INVITE's, RFC 6026 Timer L, and
    the BYE's, RFC 3261 Timer J); the trials go far beyond, so it is raised.
  - **libre**: \`bench/peers/re_uas.c\` on libre's \`sipsess\`: the INVITE accepted with
    180 (\`sipsess_accept\`), then 200 with a fixed SDP answer (\`sipsess_answer\`);
    the session freed when sipsess reports its end. Its hash tables get 16,384
    buckets (libre's examples use 32).
  - **sofia-sip**: \`bench/peers/sofia_uas.c\` on sofia-sip's \`nua\`, in one thread:
    \`nua_respond\` 180 then 200 with a fixed SDP answer; nua's offer/answer engine
    off (\`NUTAG_MEDIA_ENABLE(0)\`, the SDP an opaque body as it is for ours and
    libre) and no session timer; the handle destroyed when nua reports the call
    terminated. nua also sends 100 Trying to every INVITE, which the others do
    not.
  - **SIPp UAS**: \`sipp -sn uas\`: canned messages, no transaction or dialog
    layer: the ceiling of what SIPp's UAC can drive.
  - **ours (b2bua)**: \`sipdialog b2bua --listen udp:127.0.0.1:PORT
    --max-transactions 4000000 --to sip:uas@127.0.0.1:PORT2\`, SIPp's UAS at PORT2: two dialogs and an INVITE
    session per call.
  - **Kamailio**: \`bench/peers/kamailio.cfg\` (\`kamailio -x tlsf -DD -E\`, one UDP
    worker, \`-m 1024\` MB of shared memory): stateful relay with \`tm\`,
    \`record_route()\` and the \`dialog\` module on every INVITE, the BYE ending
    the dialog; SIPp's UAS behind it. SIPp's UAC keeps no route set, so its ACK
    and BYE reach Kamailio without Route: the dialog module finds them by
    Call-ID and tags. Kamailio's TLSF allocator, not its default debugging
    one (\`qm\`, which under callgrind spent 93% of the instructions in
    \`qm_malloc\`).
- **Call rate**: trials of ${trial} s: a fresh server, SIPp's UAC at a fixed
  rate (\`-r\`) for rate × ${trial} calls; a trial passes when every call
  succeeded (SIPp exits 0: no failed call, no timeout; \`-recv_timeout\` 5 s)
  and SIPp was done within 10% of the time, plus one second for the
  retransmissions of a last call (a server that falls behind makes SIPp's
  calls late, or, at SIPp's limit of open calls, SIPp's new calls). The server on CPU
  \`${srvpin#taskset -c }\` and every SIPp on CPU \`${sipppin#taskset -c }\` (taskset). The search:
  short trials of ${est} s double the rate from 1,000 calls/s until one fails,
  then bisect twice (a short trial that fails is tried once more before it
  counts); each of the ${runs} runs then starts there, on its own (not
  from the run before: one unlucky trial does not pull the later runs down), with
  ${trial}-s trials: up by 10% while they pass (eight times at most), or down by
  15% until one passes (six times at most), then up by 10% while they pass and
  stay below the lowest rate that failed. A trial is stopped as soon as it
  has failed. A run's figure is its highest passing rate; rates are rounded
  to two significant digits. CPU: the server's and SIPp's CPU time over the passing
  trial's wall time (SIPp: the UAC, with the UAS behind for b2bua and
  Kamailio: both on one CPU).
- **Instructions per call**: the server under \`valgrind --tool=callgrind\`
  (every process it forks), SIPp driving ${cgrate} calls/s with at most 4 calls
  open (\`-l 4\`: a server that callgrind slows down gets its calls later, not
  retransmissions); one run of
  ${cgn} calls and one of $((cgn + cgx)), each with a fresh server ended by
  SIGTERM when SIPp is done; (count of the longer − count of the shorter) ÷
  ${cgx}, so that start-up and exit cancel out. A run counts only if SIPp
  saw every call succeed. Each server frees what it holds on SIGTERM
  (Kamailio excepted: its transactions, kept 5 s after their final
  response, are freed by its timer; ${cgn} calls at ${cgrate}/s last longer
  than that, so both runs end with the same number held). The transactions
  the RFC keeps 32 s after a call (RFC 6026 Timer L, RFC 3261 Timer J) are
  still held when the shorter run ends and are freed at exit, and by their
  timers in the longer one: the difference then misses the firing of those
  timers for up to $((cgrate * 32 - cgn > 0 ? cgrate * 32 - cgn : 0)) calls out of ${cgx}.
  The shorter runs of all targets side by side, then the longer ones
  (counts do not depend on time; retransmissions would, and are shown).
- **Memory per call**: a fresh server; SIPp's UAC sets up ${c1} calls at
  ${memrate} calls/s and holds them (\`-d\` of an hour before the BYE; no receive
  timeout, the INVITE retransmitted up to 8 times); once they
  are all up, the server's proportional set size (PSS, \`/proc/PID/smaps_rollup\`,
  summed over Kamailio's processes, which share their memory) is read; then a
  second SIPp adds calls up to ${c2}, and PSS is read again. Figure: (PSS −
  PSS before the first call) ÷ calls up. For one process, PSS grows as RSS
  does. It is the memory the process holds, so it includes the transactions
  still kept for their RFC timers (at ${memrate} calls/s, those of the last 32 s
  for the INVITE server transactions of RFC 6026) and whatever the allocator
  keeps after a free: all targets set up their calls at the same rate.
  SIPp's UAS is left out (it holds no dialogs). All targets side by side,
  and side by side with the callgrind runs.
- **Sockets**: every server keeps the UDP receive buffer it asks for (or
  the system's default, $(awk '{ printf "%d KB", $1 / 1024 }' /proc/sys/net/core/rmem_default 2>/dev/null)); as the kernel reported them (\`ss -m\`, the
  kernel doubles what is asked): ${rcvbufs:-not recorded}. SIPp, UAC and UAS,
  gets 4 MB (\`-buff_size\`), so that the load and the ceiling do not lose
  packets of their own when the machine holds SIPp back an instant. The
  kernel counts each datagram with its overhead: 200 KB hold some 100 to
  200 requests, a few milliseconds at 7,000 calls/s; what a server stalled
  longer drops comes back as retransmissions.
- **Runs**: ${runs} of each measurement; the tables give the median, the lowest
  and the highest. Ratios compare medians.
EOF
	[ -z "$dur" ] || printf -- '- The whole took %d min %02d s.\n' $((dur / 60)) $((dur % 60))
	calls_report_tables
	if [ -f "$CHART" ]; then
		cat <<EOF

### Chart

![Calls per second and instructions per call, ours against each peer](bench/results/calls.png)
EOF
	fi
	calls_report_history
	calls_report_profile
	calls_report_trials
}

# What each optimisation of the call path bought, as measured when it was
# made (the figures of the day, with the harness of the day; the tables
# above are today's).
calls_report_history() {
	cat <<'EOF'

### What the optimisations bought

| change | measured before | after |
|---|--:|--:|
| memory: the dialog 144 → 96 B (16-bit spans: each part at most 64 KiB); the b2bua 232 → 160 B (callbacks by reference, counters narrowed); the session takes its Contact from its dialog instead of a copy | uas 1,031, b2bua 2,186 (one run, 430d4b2) | uas 953, b2bua 1,960 (one run, 06b5d37) |
| memory, b2bua: the two legs' offer/answer engines share the descriptions relayed unchanged (one copy each way instead of two) | b2bua 2,494 (one run, 202fc75) | 2,186 (one run, 430d4b2) |
| memory: the session 456 → 264 B (callbacks by reference, re-INVITE/UPDATE state and reliable-provisional state allocated only when used); `sipd_flow` packed 40 → 32 B; the INVITE client transaction frees its request at the 2xx (it never sends it again in Accepted); the INVITE client keeps only the lines a late fork's dialog and ACK need (was the whole request) and its forks in an array grown on demand (were 16 slots) | uas 1,238, b2bua 3,175 (medians of 3, ae1f2c1) | uas 1,042, b2bua 2,494 (one run, 202fc75) |
| memory, b2bua: the relayed requests in an array grown on demand (were 16 slots inline, 384 B) and the CANCEL's Reason allocated when one comes (was 256 B inline); a UAC session tracks a fork from its first reliable provisional, not from any | 3,921 bytes per held b2bua call at 100,000 (one run, 4d83229) | the tables above (ae1f2c1) |
| memory: a client transaction no longer carries the parsed-request struct only server transactions use (1,200 B → 288); the INVITE client keeps its parsed request in a block of its size until the 2xx (its struct was 3,800 B with 64 header slots), and parses its text again for a fork after that | b2bua 5,275 bytes per held call at 100,000 (one run, 5e49c56) | 3,921 (one run, 4d83229) |
| memory: an INVITE server transaction past the ACK of its 2xx hands what RFC 6026 §7.1 still asks of it until Timer L (absorb the INVITE's retransmissions, tell merged requests) to an absorber of about 130 B, and ends for the TU (it was about 3.4 KB for 32 s); dialog routes in the dialog's dynamic area (were 32 spans inline, 256 B); the session's rarely used parts (reliable provisionals, forks, session timers) allocated apart (784 B → 456); the uas call without a libuv timer unless `--ring` or `--hangup-after` | uas 3,105 bytes per held call at 100,000, b2bua 8,239 (the run of e291b23) | uas 1,240, b2bua 5,275 (one run, 5e49c56) |
| `sipdialog uas` shares one SDP answer per listener instead of a 2 KB copy per call; a server transaction keeps a response that fits the area it reserves (the INVITE's 2xx with its SDP) instead of a second allocation of about 1.3 KB | 8,793 bytes per held call (10,000 calls at 1,000 calls/s) | 5,504 |
| `sipdialog uas` frees the calls that ended from a list of them instead of scanning every open call after each request; UDP read with recvmmsg (up to 16 datagrams a system call); the command keeps up to 16 MB of free heap (glibc gave it back and faulted it in again nearly every call); random bytes drawn 512 at a time | 17,000 calls/s (the run of 408598f) | 25,000 (SIPp then the limit) |
| a server transaction clears its struct only, not the 3 KB of slots, copy and response area written before they are read | 91,032 instructions per call | 86,693 |
| (issue 2) the parser: no second parse of the eagerly parsed headers, one pass over parameters and over a host, list values parsed in place, header lookup without strlen | 39k instructions per message | 19k (see the parser section) |

Where a held call's memory went before this work (massif, 5,000 calls held, at commit
5e49c56 for the uas and 4d83229 for the b2bua), in bytes per call:

- uas: the session 480, the dialog 295 (its strings included), the SDP copies of
  offer/answer 247, the command's call 64; for the 64·T1 after the 2xx, the absorber 130.
- b2bua: two sessions 964, two dialogs 596, the four SDP copies 516, the b2bua itself
  848 before ae1f2c1 (about 230 after); for the 64·T1 after the 2xx, the B leg's INVITE
  client transaction 973 (its request copy included), the INVITE client 685 (its text,
  to make a dialog for a late fork) and the A leg's absorber 130.

And now (06b5d37; the structs' sizes, their strings and the allocator's overhead on top):
a session is 256 bytes, a dialog 96 plus its strings (about 150 with SIPp's headers), a
b2bua 160; the b2bua's legs share the two descriptions they relay, so a b2bua call keeps
two SDP copies, not four; for the 64·T1 after the 2xx, the B leg's INVITE client
transaction keeps 280 bytes and its branch (its request is gone), and the INVITE client
120 plus the request line and the lines a late fork's dialog and ACK need.

What is left to win: descriptions of re-INVITEs and UPDATEs relayed by the b2bua are
still copied on each leg; a uas session keeps its own copy of an answer that is the same
for every call of `sipdialog uas` (about 120 bytes); the dialog's strings could share the
local Contact, the same for all dialogs of a listener.
EOF
}

calls_report_tables() {
	calls_figures > "${TMPDIR:-/tmp}/calls-fig.$$"
	awk -F'\t' -v c1="${c1:-}" -v c2="${c2:-}" -v trial="${trial:-10}" "$AWK_FMT$AWK_STATS"'
	FNR == NR { m[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5; n[$1, $2] = $6; next }
	$1 == "target" { order[++nt] = $2; ver[$2] = $3; what[$2] = $4 }
	$1 == "missing" { miss = miss sprintf("- %s left out: %s.\n", label($2), $3) }
	$1 == "trial" && $6 == 0 && $13 != "" && $13 != "-" { if (!(($2, $13) in ec)) codes[$2] = codes[$2] " " $13; ec[$2, $13]++ }
	function has(k, t) { return (k, t) in m }
	function span(k, t, f) { return has(k, t) ? sprintf(f " – " f, lo[k, t], hi[k, t]) : "–" }
	function spang(k, t) { return has(k, t) ? grp(lo[k, t]) " – " grp(hi[k, t]) : "–" }
	function cell(k, t) { return has(k, t) ? grp(m[k, t]) : "–" }
	function ours_of(t) { return (t == "b2bua" || t == "kamailio") ? "b2bua" : "ours" }
	END {
		printf "\n### Call rate\n\n"
		print "Highest rate sustained with no failed call; CPU: at that rate."
		print ""
		print "| target | version | calls/s (median) | min – max | server CPU | SIPp CPU | ours ÷ target |"
		print "|---|---|--:|--:|--:|--:|--:|"
		for (i = 1; i <= nt; i++) {
			t = order[i]; o = ours_of(t); r = "–"
			if (has("rate", t) && has("rate", o) && m["rate", t] > 0) r = sprintf("%.2f", m["rate", o] / m["rate", t])
			printf "| %s | %s | **%s** | %s | %s | %s | %s |\n", label(t), ver[t], cell("rate", t), spang("rate", t),
				has("srvcpu", t) ? sprintf("%.0f%%", m["srvcpu", t]) : "–", has("sippcpu", t) ? sprintf("%.0f%%", m["sippcpu", t]) : "–", r
		}
		print ""
		best = ""
		split("re sofia sipp", peers, " ")
		for (i = 1; i <= 3; i++) if (has("rate", peers[i]) && (best == "" || m["rate", peers[i]] > m["rate", best])) best = peers[i]
		if (has("rate", "ours") && best != "")
			printf "- ours (uas) against the fastest UAS peer (%s): **%.2f×**.\n", label(best), m["rate", "ours"] / m["rate", best]
		if (has("rate", "ours") && has("rate", "sipp"))
			printf "- Target: the uas at least SIPp'"'"'s built-in UAS'"'"'s rate: %s (%s against %s calls/s).\n",
				(m["rate", "ours"] >= m["rate", "sipp"]) ? "met" : "**not met**", grp(m["rate", "ours"]), grp(m["rate", "sipp"])
		if (has("rate", "b2bua") && has("rate", "kamailio"))
			printf "- ours (b2bua) against Kamailio: **%.2f×**.\n", m["rate", "b2bua"] / m["rate", "kamailio"]
		for (i = 1; i <= nt; i++) {
			t = order[i]
			if (has("sippcpu", t) && m["sippcpu", t] >= 85)
				lim = lim sprintf("%s%s (SIPp %.0f%%, server %.0f%%)", lim == "" ? "" : ", ", label(t), m["sippcpu", t], m["srvcpu", t])
		}
		if (has("rate", "sipp")) {
			for (i = 1; i <= nt; i++) {
				t = order[i]
				if (t != "sipp" && t != "b2bua" && t != "kamailio" && has("rate", t) && m["rate", t] >= 0.9 * m["rate", "sipp"])
					near = near sprintf("%s%s", near == "" ? "" : ", ", label(t))
			}
		}
		if (lim != "")
			printf "- **SIPp is the limit** where its CPU was at 85%% or more at the best rate: %s. These figures say how fast SIPp is, not how fast the server is.\n", lim
		if (near != "")
			printf "- Within 10%% of the SIPp-to-SIPp ceiling (%s calls/s): %s: there SIPp may be the limit.\n", grp(m["rate", "sipp"]), near
		if (lim == "" && near == "")
			print "- SIPp was not the limit: its CPU stayed under 85% at every best rate, and no server came within 10% of the SIPp-to-SIPp ceiling."
		for (i = 1; i <= nt; i++) {
			t = order[i]
			if (!(t in codes)) continue
			nc = split(codes[t], cl, " "); e = ""
			for (j = 1; j <= nc; j++) e = e sprintf("%s%s (%d trial%s)", j > 1 ? ", " : "", cl[j], ec[t, cl[j]], ec[t, cl[j]] > 1 ? "s" : "")
			printf "- Failed trials of %s that ended on an error response: %s.\n", label(t), e
			if ((t == "ours" || t == "b2bua") && ((t, "503") in ec))
				printf "  Our stack answers 503 when it holds as many transactions as its limit\n  (`max_transactions` of stack.h, 100,000 by default, 4,000,000 in this\n  benchmark), counting server transactions. A call leaves two of them held\n  32 s after it (the INVITE'"'"'s, RFC 6026 Timer L, and the BYE'"'"'s, RFC 3261\n  Timer J; the b2bua'"'"'s other leg has client transactions, not counted): a\n  %d-s trial holds 2 × %d × rate of them, so at most about %s calls/s for %d s,\n  and for longer than 32 s about 100,000 ÷ 64 ≈ 1,560 calls/s.\n", trial, trial, grp(100000 / (2 * trial)), trial
		}

		printf "\n### Instructions per call\n\n"
		print "| target | instructions / call (median) | min – max | runs | retransmissions | target ÷ ours |"
		print "|---|--:|--:|--:|--:|--:|"
		for (i = 1; i <= nt; i++) {
			t = order[i]; o = ours_of(t); r = "–"
			if (has("instr", t) && has("instr", o)) r = sprintf("%.2f", m["instr", t] / m["instr", o])
			printf "| %s | **%s** | %s | %s | %s | %s |\n", label(t), cell("instr", t), spang("instr", t),
				has("instr", t) ? n["instr", t] : 0, has("retrans", t) ? grp(m["retrans", t]) : "–", r
		}
		print ""
		print "Retransmissions: SIPp'"'"'s, the median over the runs of both callgrind runs together: a"
		print "server too slow under callgrind would make SIPp retransmit and count extra work."
		print ""
		cheap = ""
		if (has("instr", "re")) cheap = "re"
		if (has("instr", "sofia") && (cheap == "" || m["instr", "sofia"] < m["instr", cheap])) cheap = "sofia"
		if (has("instr", "ours") && cheap != "")
			printf "- Target: the uas at most half the instructions of the cheaper of libre and sofia-sip (%s, %s): %s (%s, %.2f of it).\n",
				label(cheap), grp(m["instr", cheap]), (m["instr", "ours"] <= m["instr", cheap] / 2) ? "met" : "**not met**",
				grp(m["instr", "ours"]), m["instr", "ours"] / m["instr", cheap]
		if (has("instr", "b2bua") && has("instr", "kamailio"))
			printf "- Target: the b2bua below Kamailio: %s (%s against %s, %.2f of it).\n",
				(m["instr", "b2bua"] < m["instr", "kamailio"]) ? "met" : "**not met**", grp(m["instr", "b2bua"]),
				grp(m["instr", "kamailio"]), m["instr", "b2bua"] / m["instr", "kamailio"]

		k1 = "mem." c1; k2 = "mem." c2
		printf "\n### Memory per call held\n\n"
		printf "| target | bytes / call, %s calls (median) | min – max | bytes / call, %s calls (median) | min – max | calls up, fewest | target ÷ ours (%s) |\n", grp(c1), grp(c2), grp(c2)
		print "|---|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= nt; i++) {
			t = order[i]; o = ours_of(t); r = "–"
			if (!has(k1, t) && !has(k2, t)) continue
			if (has(k2, t) && has(k2, o) && m[k2, o] > 0) r = sprintf("%.2f", m[k2, t] / m[k2, o])
			printf "| %s | **%s** | %s | **%s** | %s | %s / %s | %s |\n", label(t), cell(k1, t), spang(k1, t), cell(k2, t), spang(k2, t),
				has("memup." c1, t) ? grp(lo["memup." c1, t]) : "–", has("memup." c2, t) ? grp(lo["memup." c2, t]) : "–", r
		}
		print ""
		print "Calls up: of the calls asked, the fewest SIPp saw set up (in its pause) in any run; the"
		print "others failed (no answer to the INVITE and its 8 retransmissions, two minutes). The"
		print "figure divides by the calls up."
		if (c2 == 100000) {
			print ""
			if (has(k2, "ours"))
				printf "- Target: at most 1 KiB per established UAS dialog at 100,000: %s (%s bytes).\n",
					(m[k2, "ours"] <= 1024) ? "met" : "**not met**", grp(m[k2, "ours"])
			if (has(k2, "b2bua"))
				printf "- Target: at most 2 KiB per B2BUA call at 100,000: %s (%s bytes).\n",
					(m[k2, "b2bua"] <= 2048) ? "met" : "**not met**", grp(m[k2, "b2bua"])
		}
		if (miss != "") printf "\n%s", miss
	}' "${TMPDIR:-/tmp}/calls-fig.$$" "$TSV"
	rm -f "${TMPDIR:-/tmp}/calls-fig.$$"
}

calls_report_profile() {
	[ -s "$PROFILE_TSV" ] || return 0
	awk -F'\t' "$AWK_FMT"'
	$1 == "self" && $2 == "ours" { self[++ns] = $3; sv[ns] = $4 }
	$1 == "inclusive" && $2 == "ours" {
		if ($3 ~ /^(main|[(]below main[)]|__libc_start.*|0x[0-9a-f]+|cmd_uas|uv_run|sipd_runtime_run)$/) next
		inc[++ni] = $3; iv[ni] = $4
	}
	$1 == "self" && $2 == "b2bua" { bself[++nb] = $3; bv[nb] = $4 }
	END {
		if (!ns) exit
		printf "\n### Where ours (uas) spends its instructions\n\n"
		print "callgrind, per call, the longer run minus the shorter of the first run, ÷ the"
		print "calls between them. Self: in the function itself (with what is inlined into it);"
		print "inclusive: with what it calls (the loop and main left out). The libuv loop and"
		print "the kernel calls it makes (recvmsg, sendmsg, epoll) count as the process'"'"'s too."
		print ""
		print "| self | function | | inclusive | function |"
		print "|--:|---|---|--:|---|"
		n = ns > ni ? ns : ni
		if (n > 20) n = 20
		for (i = 1; i <= n; i++) {
			a = ""; b = ""; c = ""; d = ""
			if (i <= ns) { a = grp(sv[i]); b = "`" self[i] "`" }
			if (i <= ni) { c = grp(iv[i]); d = "`" inc[i] "`" }
			printf "| %s | %s | | %s | %s |\n", a, b, c, d
		}
		if (nb) {
			printf "\nAnd the b2bua, self, per call (both legs):\n\n"
			print "| self | function |"
			print "|--:|---|"
			for (i = 1; i <= nb && i <= 12; i++) printf "| %s | `%s` |\n", grp(bv[i]), bself[i]
		}
	}' "$PROFILE_TSV"
}

# Every trial, for the record: what passed and what did not.
calls_report_trials() {
	awk -F'\t' "$AWK_FMT"'
	$1 == "trial" {
		k = $2 SUBSEP $3
		if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
		s[k] = s[k] sprintf("%s%s%s", s[k] == "" ? "" : ", ", grp($4), $6 == 1 ? "" : " ✗")
	}
	$1 == "load" { load = load sprintf("%s%s: %s", load == "" ? "" : "; ", $2, $3) }
	END {
		if (!nk) exit
		printf "\n### Every rate trial\n\n"
		print "In order, calls/s; ✗: failed. est: the short trials of the first guess."
		print ""
		print "| target | phase | trials |"
		print "|---|---|---|"
		for (i = 1; i <= nk; i++) { split(keys[i], a, SUBSEP); printf "| %s | %s | %s |\n", a[1], a[2], s[keys[i]] }
		if (load != "") printf "\nLoad average (1, 5, 15 min) during the calls section: %s.\n", load
	}' "$TSV"
}
