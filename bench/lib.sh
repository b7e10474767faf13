# bench/lib.sh — what the benchmark scripts share (sourced by bench/run.sh
# and bench/calls.sh): the version of a Debian package, numbers with
# thousands separators in awk, and callgrind's per-function counts.

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}

# Thousands separated by commas (mawk has no %'d).
AWK_FMT='
function grp(x,   s, neg, out) {
	s = sprintf("%.0f", x); neg = ""
	if (substr(s, 1, 1) == "-") { neg = "-"; s = substr(s, 2) }
	out = ""
	while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
	return neg s out
}'

# "function<TAB>Ir" for every entry of a callgrind output file. A function can
# have several entries (code inlined from headers is listed under the header's
# name), and the files are machine paths: the name alone is kept. $2: an option
# of callgrind_annotate, such as --inclusive=yes.
cg_functions() {
	callgrind_annotate --auto=no --threshold=100 ${2:+"$2"} "$1" 2>/dev/null |
		awk '/file:function/ { on = 1; next }
		     on && /%\)/ {
			n = $1; gsub(",", "", n); s = $0
			sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", s); sub(/ \[.*$/, "", s)
			sub(/^.*:/, "", s)
			print s "\t" n
		     }'
}
