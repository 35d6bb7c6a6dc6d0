#!/usr/bin/env bash
# Runs a command under a private Xvfb server (24-bit screen, no TCP, first free display
# from :100) and returns the command's exit status. Used by the ParaView client tests.
set -u
pid=""
for n in $(seq 100 199); do
  [ -e "/tmp/.X$n-lock" ] && continue
  Xvfb ":$n" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    [ -e "/tmp/.X11-unix/X$n" ] && break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then break; fi
  pid=""
done
[ -n "$pid" ] || { echo "with_xvfb: no Xvfb display could be started" >&2; exit 1; }
DISPLAY=":$n" "$@"
rc=$?
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit $rc
