#!/usr/bin/env bash
# Runs a command under a private Xvfb server and returns the command's exit status. Used by
# the ParaView client tests. Xvfb chooses a free display itself and writes its number to
# -displayfd only once it accepts connections, so the command never races the server's
# start (waiting for the socket file is not enough: a stale one from an earlier server
# may still be there).
set -u
fifo_dir="$(mktemp -d)"
mkfifo "$fifo_dir/fd"
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$fifo_dir/fd" >/dev/null 2>&1 &
pid=$!
n=""
read -r -t 30 n <"$fifo_dir/fd"
rm -rf "$fifo_dir"
if [ -z "$n" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "with_xvfb: no Xvfb display could be started" >&2
  kill "$pid" 2>/dev/null
  exit 1
fi
DISPLAY=":$n" "$@"
rc=$?
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit $rc
