#!/usr/bin/env bash
# The DNS of cases/study180/dns.yaml (Re_tau 180, minimal box pi x 2 x 0.3pi, 32x65x24 modes)
# at reduced length on 2 ranks: from the perturbed laminar state to t = 20 h/u_tau, statistics
# over 8-20 h/u_tau, checked against Moser, Kim & Mansour (1999) by bench/dns/compare_mkm.py.
# Tolerances of this reduced run: Re_tau and U_b+ within 5 % (the table's 2 % is meant for
# >= 15 h/u_tau). In the minimal box Re_tau swings by +-5 between 2-h/u_tau means (measured:
# 171-185 over t = 2-30), so 12 h/u_tau of averaging leave a batch-means standard error of
# ~2.4 (1.3 %); the run is chaotic, so another CPU or rank count gives another sample of it,
# and 5 % is ~4 of those errors. A laminar flow (Re_tau 92 at this U_b+), a run in the wrong
# units or an unresolved wall all fall far outside.
set -euo pipefail
exe="$1"
root="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"
mpirun -n 2 "$exe" --log-level warn dns cases/study180/dns.yaml --set output.dir="$out/dns" --set time.t_end=20 \
  --set output.stats_start=8 --set output.snapshot_every=0
/usr/bin/python3 bench/dns/compare_mkm.py "$out/dns" --check Re_tau=0.05 U_b+=0.05
