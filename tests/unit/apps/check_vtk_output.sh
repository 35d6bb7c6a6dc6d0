#!/usr/bin/env bash
# rollout's VTK output in a build with and without VTK (IFF_WITH_VTK):
#   check_vtk_output.sh IFACTFLOW 1|0
# Without VTK, a rollout asking for VTK files (output.vtk_every > 0, also by default) fails
# with one line saying VTK output is not built, exit status 2 (as the commands not built),
# before anything is written: its output folder does not appear; at 1 and 2 ranks. With
# output.vtk_every: 0 it gets past that check. With VTK, the same case is not refused for it.
# `--version` says which it is. The cases name no real checkpoint or series: the check comes
# before either is opened.
set -uo pipefail
exe="$1"
with_vtk="$2"
d="$(mktemp -d)"
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
refusal="VTK output is not built"

case_file() {  # NAME VTK_LINE
  printf 'rollout: {checkpoint: %s/none.ckpt, series: %s/none.h5}\noutput:\n  dir: %s/%s\n%b' \
    "$d" "$d" "$d" "$1" "$2" > "$d/$1.yaml"
}
case_file asks "  vtk_every: 2\n"
case_file default ""
case_file none "  vtk_every: 0\n"

run() {  # NAME [mpirun prefix...] -> status in $rc, stderr in $d/NAME.err
  local name="$1"; shift
  "$@" "$exe" rollout "$d/$name.yaml" > "$d/$name.out" 2> "$d/$name.err"
  rc=$?
}

version="$("$exe" --version)" || fail "--version"
if [ "$with_vtk" = 0 ]; then
  grep -q "VTK *: not built" <<< "$version" || fail "--version does not say VTK is not built: $version"
  for name in asks default; do
    run "$name"
    [ "$rc" = 2 ] || fail "$name: exit status $rc, expected 2; $(cat "$d/$name.err")"
    [ "$(grep -c . "$d/$name.err")" = 1 ] || fail "$name: expected one line on stderr: $(cat "$d/$name.err")"
    grep -q "$refusal" "$d/$name.err" || fail "$name: no refusal line: $(cat "$d/$name.err")"
    [ ! -e "$d/$name" ] || fail "$name: the refused run created its output folder"
  done
  run asks mpirun -n 2 --oversubscribe
  [ "$rc" = 2 ] || fail "2 ranks: exit status $rc, expected 2; $(cat "$d/asks.err")"
  [ "$(grep -c "$refusal" "$d/asks.err")" = 1 ] || fail "2 ranks: expected the refusal once: $(cat "$d/asks.err")"
  [ ! -e "$d/asks" ] || fail "2 ranks: the refused run created its output folder"
  run none
  [ "$rc" != 0 ] || fail "vtk_every 0 with no series succeeded"
  ! grep -q "$refusal" "$d/none.err" || fail "vtk_every 0 refused for VTK: $(cat "$d/none.err")"
  echo "without VTK: rollout refuses output.vtk_every > 0 in one line (exit 2, nothing written): $(cat "$d/asks.err")"
else
  ! grep -q "VTK *: not built" <<< "$version" || fail "--version says VTK is not built: $version"
  run asks
  [ "$rc" != 0 ] || fail "a case with no series succeeded"
  ! grep -q "$refusal" "$d/asks.err" || fail "a build with VTK refused VTK output: $(cat "$d/asks.err")"
  echo "with VTK: output.vtk_every accepted (the case then fails on its missing inputs: $(head -1 "$d/asks.err"))"
fi
