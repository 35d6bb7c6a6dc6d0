#!/usr/bin/env bash
# LES stability from a filtered-DNS state (not CI): a DNS of the Re_tau = 180 box
# (cases/re180/dns.yaml, 4pi x 2 x 4pi/3, perturbed laminar start of rms 3 u_tau) at a
# reduced resolution, run into its chaotic transient (t = 0.4 h/u_tau by default: a few
# minutes here; a developed state needs tens of h/u_tau), filtered onto 32x33x16 with `ifactflow filter`, then 2,000 LES steps
# of each model from that snapshot with cases/re180/les-*.yaml. Prints, per model, the steps
# done, the largest CFL, the last Re_tau and fluctuation energy (timeseries.csv).
#   bench/les/les_from_fdns.sh [IFACTFLOW] [DNS_GRID] [DNS_STEPS] [DNS_DT] [LES_STEPS]
#   defaults: build/release/apps/ifactflow, 64x65x64, 1000, 0.0004 (h/u_tau), 2000
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exe=${1:-$root/build/release/apps/ifactflow}
grid=${2:-64x65x64}
dns_steps=${3:-1000}
dt=${4:-0.0004}
steps=${5:-2000}
IFS=x read -r nx ny nz <<<"$grid"
work=$(mktemp -d /tmp/iff-les-fdns-XXXXXX)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# fixed dt (the restart of an adaptive run would keep its dt): the last step is a snapshot
mpirun --oversubscribe -n 2 "$exe" dns "$root/cases/re180/dns.yaml" --set grid.nx="$nx" --set grid.ny="$ny" \
  --set grid.nz="$nz" --set time.adaptive=false --set time.dt="$dt" --set time.steps="$dns_steps" \
  --set output.dir="$work/dns" --set output.snapshot_every="$dns_steps" --set output.stats_every=0 \
  --set output.checkpoint_every=100000 --set output.progress_seconds=30 >"$work/dns.log" 2>&1 ||
  { tail -3 "$work/dns.log"; exit 1; }
"$exe" filter "$work/dns/snapshots.h5" --grid 32x33x16 -o "$work/fdns.h5" >/dev/null 2>&1
awk -F, 'NR > 1 {t = $2; re = $8; e = $6} END {printf "DNS %s to t = %s h/u_tau: Re_tau %.1f, E'"'"' %.4g\n", g, t, re, e}' \
  g="$grid" "$work/dns/timeseries.csv"
for model in dsm wale smagorinsky; do
  "$exe" dns "$root/cases/re180/les-$model.yaml" --set initial.file="$work/fdns.h5" --set initial.trajectory=0 \
    --set initial.time_index=-1 --set time.steps="$steps" --set output.dir="$work/les-$model" \
    --set output.snapshot_every=0 --set output.stats_every=0 --set output.checkpoint_every=100000 \
    --set output.csv_every=10 >"$work/les-$model.log" 2>&1 && status=ok || status="FAILED: $(tail -1 "$work/les-$model.log")"
  awk -F, -v m="$model" -v s="$status" 'NR > 1 {if ($4 > c) c = $4; n = $1; re = $8; e = $6}
    END {printf "LES %-12s %s steps, max CFL %.3f, Re_tau %.1f, E'"'"' %.4g  %s\n", m, n, c, re, e, s}' \
    "$work/les-$model/timeseries.csv"
done
