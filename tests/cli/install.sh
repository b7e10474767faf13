#!/bin/sh
# The installed library is usable by others: install the build into a
# temporary prefix, then build and run a small program against it, once through
# pkg-config (sipdialog.pc) and once through CMake (find_package(sipdialog)).
#
# Usage (ctest, from the repository root): sh tests/cli/install.sh PATH/TO/sipdialog
# The command's directory is the CMake build directory to install from. No
# network; each step is bounded in time.
set -eu

bin=${1:?usage: sh tests/cli/install.sh PATH/TO/sipdialog}
builddir=$(cd "$(dirname "$bin")" && pwd)
cache=$builddir/CMakeCache.txt

fail() {
	echo "install.sh: $*" >&2
	exit 1
}

[ -f "$cache" ] || fail "no CMakeCache.txt next to $bin: not a CMake build directory"

# A value of the build's cache ("NAME:TYPE=value").
cache_get() {
	sed -n "s/^$1:[A-Za-z]*=//p" "$cache" | head -n 1
}

# Bounds every step; `timeout` is in coreutils, but do without it if absent.
if command -v timeout >/dev/null 2>&1; then
	bounded() { timeout 300 "$@"; }
else
	bounded() { "$@"; }
fi

# Compile and link the way the library was built: same compiler, and the
# sanitizers' runtimes when the (static) library was instrumented.
cc=$(cache_get CMAKE_C_COMPILER)
[ -n "$cc" ] || cc=${CC:-cc}
sanflags=
case $(cache_get SIPD_SANITIZE) in
ON | on | TRUE | true | YES | yes | Y | y | 1) sanflags=-fsanitize=address,undefined ;;
esac

tmp=$(mktemp -d -t sipd-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
prefix=$tmp/prefix

# Quiet on success; the step's output on failure.
run() {
	log=$tmp/step.log
	if ! bounded "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "failed: $*"
	fi
}

run cmake --install "$builddir" --prefix "$prefix"
[ -f "$prefix/include/sipdialog/msg.h" ] || fail "msg.h not installed"
[ -x "$prefix/bin/sipdialog" ] || fail "the sipdialog command not installed"
pc=$(find "$prefix" -name sipdialog.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "sipdialog.pc not installed"
[ -n "$(find "$prefix" -name sipdialogConfig.cmake)" ] || fail "sipdialogConfig.cmake not installed"

mkdir "$tmp/src"
cat >"$tmp/src/main.c" <<'C'
#include <stdio.h>

#include <sipdialog/msg.h>

int main(void)
{
	static const char text[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
	                           "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK74bf9\r\n"
	                           "Max-Forwards: 70\r\n"
	                           "From: <sip:alice@example.com>;tag=9fxced76sl\r\n"
	                           "To: <sip:bob@example.com>\r\n"
	                           "Call-ID: 3848276298220188511@host.example.com\r\n"
	                           "CSeq: 1 OPTIONS\r\n"
	                           "Content-Length: 0\r\n"
	                           "\r\n";
	struct sipd_hdr hdrs[16];
	struct sipd_msg msg;
	struct sipd_parse_error err = {0};
	long n = sipd_msg_parse(&msg, hdrs, 16, text, sizeof text - 1, SIPD_FRAME_DATAGRAM, NULL,
	                        &err);
	if (n < 0 || sipd_msg_check(&msg, &err) != 0) {
		fprintf(stderr, "rejected: %s at line %u, column %u\n", err.what ? err.what : "?",
		        err.line, err.column);
		return 1;
	}
	if ((size_t)n != sizeof text - 1 || msg.method != SIPD_METHOD_OPTIONS || msg.cseq.seq != 1) {
		fprintf(stderr, "parsed wrongly\n");
		return 1;
	}
	printf("ok: %.*s, %u headers\n", (int)msg.method_name.len, msg.method_name.p, msg.nhdrs);
	return 0;
}
C

# 1. pkg-config. The .pc file must point into the prefix it was installed to.
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs sipdialog) || fail "pkg-config does not know sipdialog"
case $flags in
*"$prefix"*) ;;
*) fail "pkg-config flags do not point into the install prefix: $flags" ;;
esac
# shellcheck disable=SC2086 # the flags are words
run "$cc" $sanflags -o "$tmp/with-pkgconfig" "$tmp/src/main.c" $flags
run "$tmp/with-pkgconfig"
echo "pkg-config: $(cat "$tmp/step.log")"

# 2. CMake: find_package(sipdialog CONFIG REQUIRED) and the imported target.
cat >"$tmp/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(sipd_install_check LANGUAGES C)
find_package(sipdialog CONFIG REQUIRED)
add_executable(with-cmake main.c)
target_link_libraries(with-cmake PRIVATE sipdialog::sipdialog)
CMAKE
run cmake -S "$tmp/src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$sanflags" -DCMAKE_EXE_LINKER_FLAGS="$sanflags"
found=$(sed -n 's/^sipdialog_DIR:[A-Za-z]*=//p' "$tmp/cmake-build/CMakeCache.txt")
case $found in
"$prefix"/*) ;;
*) fail "find_package found sipdialog outside the install prefix: $found" ;;
esac
run cmake --build "$tmp/cmake-build"
run "$tmp/cmake-build/with-cmake"
echo "cmake: $(cat "$tmp/step.log")"
