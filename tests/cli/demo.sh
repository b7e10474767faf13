#!/bin/sh
# The main job (make demo) under the test build: a UAS, a B2BUA and a UAC on
# loopback; every call must go as asked and the servers must exit cleanly.
# Usage: tests/cli/demo.sh PATH/TO/sipdialog
exec sh scripts/demo.sh "$1" 10
