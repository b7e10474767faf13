#!/bin/sh
# The main job, for now: parse and pretty-print sample messages, and show
# how an invalid one is reported. Usage: scripts/demo.sh PATH/TO/sipdialog
set -u
bin=${1:-build/sipdialog}
dir=$(dirname "$0")/../examples/messages
status=0
for m in invite ringing register; do
  echo "=== sipdialog parse examples/messages/$m.sip"
  "$bin" parse "$dir/$m.sip" || status=1
  echo
done
echo "=== sipdialog parse --json examples/messages/ringing.sip"
"$bin" parse --json "$dir/ringing.sip" || status=1
echo
echo "=== sipdialog parse examples/messages/bad-cseq.sip (invalid on purpose)"
if "$bin" parse "$dir/bad-cseq.sip"; then
  echo "demo: the invalid message was accepted" >&2
  status=1
else
  echo "(exit status 1, as expected)"
fi
exit $status
