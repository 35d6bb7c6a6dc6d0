#!/usr/bin/python3
"""Figures and report.html of an `ifactflow compare` output folder.

usage: /usr/bin/python3 scripts/plot_compare.py OUTPUT_DIR

Reads the tables the compare command wrote (summary.csv, summary.md, summary.json, profiles.csv,
spectra.csv, error_vs_time.csv, energy_vs_time.csv, slice.h5) and writes, into OUTPUT_DIR:
  figures/mean_velocity.png    U+ against y+ (log axis), lower half of the channel, with the
                               viscous (U+ = y+) and log (U+ = ln(y+)/0.41 + 5.2) laws and a marker
                               at every grid point
  figures/rms.png              u'+, v'+, w'+ against y+ (three panels, grid points marked)
  figures/reynolds_stress.png  -<u'v'>+ against y+
  figures/spectra.png          E_uu(kx) and E_uu(kz) at each y+ of the spectra (2 panels per y+),
                               clipped at the reference's filter cut-off, wavenumbers in 1/h
                               (bottom) and in wall units (top)
  figures/spectra_premultiplied.png  kx E_uu / u_tau^2 against lambda_x+ and likewise in z (when
                               Re_tau is known)
  figures/error.png            relative L2 error against time: total (with the threshold), against
                               the reference's fluctuations, and per component u, v, w
  figures/energy.png           kinetic energy per unit mass E = 1/2 <|u|^2>_V (volume average, mean
                               flow included) against time (the reference: the snapshots the
                               first candidate is compared with)
  figures/slice.png            u at y+ ~ 15 after the chosen step, equal aspect (the plane is lx by
                               lz), sequential colour map: the reference (one panel when every
                               candidate starts from the same reference snapshot, else one above
                               each candidate) and each candidate, on one colour scale
  figures/slice_fluctuation.png  the same slices less each one's x-z mean, diverging colour map
                               centred at zero
  figures.json                 manifest: file, title, caption, data panels and, per matplotlib
                               axes, what was drawn (labels, limits, scales, tick labels, lines,
                               images with their colour maps, aspect) read back after drawing
  report.html                  a banner when the sizes are toy sizes (rule: toy_size_reasons), the
                               set-up line and tables of summary.md, and every figure
The reference is drawn in black (solid, thicker) in every figure; each candidate has one
colour and label throughout. Time is in the series' units (h/u_tau for wall units). Headless
(Agg backend). Without matplotlib the script prints one line, still writes report.html with
the table, and exits with status 3. The compare command calls this script at the end; run it
again by hand to regenerate.
"""
import csv
import html
import json
import math
import os
import sys

# The published coarse resolution and size of the Re_tau 180 training set (cases/re180/dataset.yaml:
# 21 trajectories x 400 snapshots on 32x33x16; re395 and re590 are larger): a report on a smaller
# grid or fewer reference trajectories is marked as toy sizes.
PUBLISHED_GRID = (32, 33, 16)
PUBLISHED_TRAJECTORIES = 21
KAPPA, B_LOG = 0.41, 5.2   # log law U+ = ln(y+)/kappa + B
FLOOR = 1e-8               # a spectrum below FLOOR x the reference's peak lies past the filter cut-off


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_json(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return float("nan")


def unit_names(meta):
    """The series' velocity unit as text and as mathtext ("h, u_tau": u_tau, $u_\\tau$; "h, U_bulk":
    U_bulk, $U_b$); lengths are in h, times in h over that velocity."""
    units = meta.get("reference", {}).get("units", "h, u_tau")
    vel = units.split(",")[-1].strip() if "," in units else "u_tau"
    return vel, {"u_tau": "u_\\tau", "U_bulk": "U_b", "U_c": "U_c"}.get(vel, vel)


def toy_size_reasons(meta):
    """Why the sizes are toy sizes (empty: they are not): a coarse grid below the published
    32x33x16 in any direction, or fewer reference trajectories than the published 21."""
    r = meta.get("reference", {})
    if "nx" not in r:
        return []
    why = []
    grid = (int(r["nx"]), int(r["ny"]), int(r["nz"]))
    low = [n for n, g, p in zip("xyz", grid, PUBLISHED_GRID) if g < p]
    if low:
        why.append("grid {}x{}x{} is below the published coarse resolution {}x{}x{} in {}".format(
            *grid, *PUBLISHED_GRID, ", ".join("n" + n for n in low)))
    if int(r.get("trajectories", 0)) < PUBLISHED_TRAJECTORIES:
        why.append(f"{int(r['trajectories'])} reference trajectories, fewer than the published {PUBLISHED_TRAJECTORIES}")
    return why


def markdown_to_html(text):
    """summary.md as HTML: its tables as tables, its paragraphs as paragraphs (`code` as <code>,
    no backtick left); the set-up line ("Grid ...") as <p class="setup">."""
    def inline(t):
        parts = t.split("`")
        return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))

    out, block = [], []

    def flush():
        if not block:
            return
        if block[0].startswith("|"):
            rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in block
                    if not set(ln.replace("|", "").strip()) <= set("-: ")]
            out.append("<div class=\"wide\"><table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in rows[0]) + "</tr>")
            for r in rows[1:]:
                out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>")
            out.append("</table></div>")
        elif block[0].startswith("#"):
            out.append(f"<h1>{inline(block[0].lstrip('# '))}</h1>")
        elif block[0].startswith("Grid "):
            out.append("<p class=\"setup\">" + inline(" ".join(block)) + "</p>")
        else:
            out.append("<p>" + inline(" ".join(block)) + "</p>")
        block.clear()

    for ln in text.splitlines():
        if not ln.strip():
            flush()
            continue
        if block and block[0].startswith("|") != ln.startswith("|"):
            flush()
        block.append(ln.strip())
        if ln.startswith("#"):
            flush()
    flush()
    return "\n".join(out)


def write_report(out, figures, meta, note=""):
    """report.html: the toy-size banner, summary.md's set-up line, tables and notes (units, one
    column per quantity) and the figures with their captions, relative links only."""
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>ifactflow compare</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
             "table{border-collapse:collapse;font-size:0.85em;margin:0.8em 0}td,th{border:1px solid #999;"
             "padding:3px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
             ".wide{overflow-x:auto}.banner{background:#fff3cd;border:2px solid #c90;padding:0.6em 1em}"
             ".setup{background:#eef4fb;border-left:4px solid #369;padding:0.4em 0.8em}"
             ".caption{color:#333;font-size:0.9em;max-width:60em}"
             "img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}</style></head><body>"]
    why = toy_size_reasons(meta)
    if why:
        parts.append(
            "<div class=\"banner\" id=\"toy-sizes\"><b>Toy sizes</b>: " + html.escape("; ".join(why)) + ". "
            + html.escape(f"Rule: a comparison is marked as toy sizes when its coarse grid is below the published "
                          f"{'x'.join(map(str, PUBLISHED_GRID))} in any direction or its reference has fewer than "
                          f"{PUBLISHED_TRAJECTORIES} trajectories (the published Re_tau 180 set: "
                          f"{PUBLISHED_TRAJECTORIES} trajectories x 400 snapshots on "
                          f"{'x'.join(map(str, PUBLISHED_GRID))}). These numbers show the pipeline working, "
                          "not converged physics or converged models.") + "</div>")
    if note:
        parts.append(f"<p><b>{html.escape(note)}</b></p>")
    summary_md = os.path.join(out, "summary.md")
    if os.path.exists(summary_md):
        with open(summary_md) as f:
            parts.append(markdown_to_html(f.read()))
    parts.append("<p>Tables: " + ", ".join(
        f"<a href=\"{n}\">{n}</a>" for n in ["summary.csv", "summary.md", "summary.json", "error_vs_time.csv",
                                             "energy_vs_time.csv", "profiles.csv", "spectra.csv", "slice.h5"]
        if os.path.exists(os.path.join(out, n))) + "</p>")
    for fig in figures:
        parts.append(f"<h2>{html.escape(fig['title'])}</h2><img src=\"{fig['file']}\" alt=\"{html.escape(fig['title'])}\">")
        if fig.get("caption"):
            parts.append(f"<p class=\"caption\">{html.escape(fig['caption'])}</p>")
    parts.append("</body></html>")
    tmp = os.path.join(out, ".report.html.partial")
    with open(tmp, "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(tmp, os.path.join(out, "report.html"))


def tick_text(v):
    """A tick label a reader takes in at a glance: 0.5, 2, 30, 100 as such; 10^-5 for powers of
    ten outside [1e-3, 1e4); 2e-05 otherwise (never 2x10^0)."""
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return f"{v:.6g}"
    e = math.floor(math.log10(a) + 1e-9)
    if abs(a / 10.0**e - 1) < 1e-6:
        return f"$10^{{{e}}}$" if v > 0 else f"$-10^{{{e}}}$"
    return f"{v:.0e}"


def readable_log_ticks(ax, which="both"):
    """Log axes with tick_text labels; minor ticks labelled only where the axis spans less
    than a decade (where matplotlib would write 2x10^0 ... 6x10^0)."""
    from matplotlib.ticker import Formatter

    class Readable(Formatter):
        def __init__(self, minor):
            self.minor = minor

        def __call__(self, v, pos=None):
            if self.minor:
                lo, hi = sorted(self.axis.get_view_interval())
                if lo <= 0 or hi / lo >= 10 or v <= 0:
                    return ""
                mantissa = round(v / 10.0 ** math.floor(math.log10(v) + 1e-9), 6)
                if mantissa not in (2, 3, 5):  # uncrowded: 2, 3, 5 between the decades
                    return ""
            return tick_text(v)

    axes = [ax.xaxis, ax.yaxis] if which == "both" else [ax.xaxis if which == "x" else ax.yaxis]
    for axis in axes:
        if axis.get_scale() != "linear":  # log, or the function scale of a secondary axis over a log one
            axis.set_major_formatter(Readable(False))
            axis.set_minor_formatter(Readable(True))


def axis_record(ax, fig, extra):
    """What was drawn on one matplotlib axes, read back from its state after the figure was
    saved (so drawn): the checks of tests/client/analysis read these."""
    if not ax.axison:
        return {"visible": False}

    def ticks(axis):
        lo, hi = sorted(axis.get_view_interval())
        pad = 1e-9 * max(abs(lo), abs(hi), 1e-300)
        got = []
        for locs, labs in ((axis.get_majorticklocs(), axis.get_majorticklabels()),
                           (axis.get_minorticklocs(), axis.get_minorticklabels())):
            for v, t in zip(locs, labs):
                if lo - pad <= v <= hi + pad and t.get_visible() and t.get_text():
                    got.append(t.get_text())
        return got

    pos = ax.get_position(original=False)
    w_in, h_in = fig.get_size_inches()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    rec = {"role": "colorbar" if ax.get_label() == "<colorbar>" else "data", "title": ax.get_title(),
           "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(), "xscale": ax.get_xscale(),
           "yscale": ax.get_yscale(), "xlim": [float(x0), float(x1)], "ylim": [float(y0), float(y1)],
           "xticklabels": ticks(ax.xaxis), "yticklabels": ticks(ax.yaxis),
           "aspect": ax.get_aspect() if isinstance(ax.get_aspect(), str) else float(ax.get_aspect()),
           "box_ratio": float(pos.width * w_in / (pos.height * h_in)) if pos.height > 0 else None,
           "lines": [{"label": ln.get_label(), "gid": ln.get_gid(), "marker": str(ln.get_marker()),
                      "points": len(ln.get_xdata()), "x": [float(v) for v in ln.get_xdata()],
                      "y": [float(v) for v in ln.get_ydata()]} for ln in ax.get_lines()],
           "images": [{"cmap": im.get_cmap().name, "clim": [float(c) for c in im.get_clim()],
                       "extent": [float(e) for e in im.get_extent()], "shape": list(im.get_array().shape)}
                      for im in ax.get_images()],
           "secondary": [{"xlabel": c.get_xlabel(), "xlim": [float(v) for v in c.get_xlim()],
                          "xticklabels": ticks(c.xaxis)} for c in ax.child_axes]}
    if ax.get_xscale() == "linear" and ax.get_yscale() == "linear" and y1 != y0:
        rec["data_ratio"] = float(abs((x1 - x0) / (y1 - y0)))
    rec.update(extra.get(id(ax), {}))
    return rec


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    if not os.path.exists(os.path.join(out, "summary.csv")):
        sys.exit(f"plot_compare: {out} has no summary.csv (not an ifactflow compare output folder)")
    summary = read_csv(os.path.join(out, "summary.csv"))
    meta = read_json(os.path.join(out, "summary.json"))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print(f"plot_compare: matplotlib is not available ({e}); install python3-matplotlib to get the figures. "
              f"The tables are in {out}; report.html has the table only.")
        write_report(out, [], meta, "Figures not made: python3-matplotlib is not installed.")
        sys.exit(3)

    figdir = os.path.join(out, "figures")
    os.makedirs(figdir, exist_ok=True)
    labels = [r["label"] for r in summary]
    profiles = read_csv(os.path.join(out, "profiles.csv"))
    ref_label = profiles[0]["series"] if profiles else meta.get("reference", {}).get("label", "reference")
    palette = [c for c in plt.rcParams["axes.prop_cycle"].by_key()["color"]]
    colour = {lab: palette[i % len(palette)] for i, lab in enumerate(labels)}
    order = [ref_label] + labels
    vel, vtex = unit_names(meta)  # e.g. u_tau and u_\\tau
    tunit = f"h/{vel}"
    wall = meta.get("wall_units", {})
    u_tau = fnum(wall.get("u_tau")) if wall.get("u_tau") else 1.0
    re_tau = fnum(wall.get("re_tau")) if wall.get("re_tau") else float("nan")
    if not re_tau > 0 and profiles and profiles[0]["y_plus"] != "":  # older folders: Re_tau from y+ at the centre
        re_tau = max(fnum(r["y_plus"]) for r in profiles)

    def style(series, marker=None):
        s = (dict(color="black", lw=2.6, label=series, zorder=1) if series == ref_label  # beneath: matching candidates stay visible
             else dict(color=colour.get(series, "grey"), lw=1.4, label=series))
        if marker:
            s.update(marker=marker, ms=5 if series == ref_label else 3.5)
        return s

    figures = []
    extra = {}  # id(axes) -> facts about an axes that its matplotlib state does not hold

    def save(fig, name, title, panels, caption=""):
        path = os.path.join(figdir, name)
        fig.savefig(path + ".partial.png", dpi=110)
        os.replace(path + ".partial.png", path)
        axes = [axis_record(ax, fig, extra) for ax in fig.axes]
        figures.append({"file": f"figures/{name}", "title": title, "caption": caption, "panels": panels,
                        "axes": len(fig.axes), "size_inches": [float(v) for v in fig.get_size_inches()],
                        "axes_state": axes})
        plt.close(fig)

    def by_series(rows):
        d = {}
        for r in rows:
            d.setdefault(r["series"], []).append(r)
        return d

    prof = by_series(profiles)
    have_yplus = bool(profiles) and profiles[0]["y_plus"] != ""

    def lower_half(rows, key):
        pts = [(fnum(r["y_plus"]) if have_yplus else 1 + fnum(r["y"]), fnum(r[key])) for r in rows if fnum(r["y"]) <= 1e-12]
        pts = [p for p in pts if p[0] > 0]
        pts.sort()
        return [p[0] for p in pts], [p[1] for p in pts]

    xlab = "$y^+$ (wall units)" if have_yplus else "1 + y (h)"
    plus = "(wall units)" if have_yplus else f"(${vtex}$)"
    if profiles:
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        for s in order:
            if s in prof:
                ax.semilogx(*lower_half(prof[s], "U_plus"), **style(s, "o"))
        if have_yplus and ref_label in prof:
            yp = lower_half(prof[ref_label], "U_plus")[0]
            lo, hi = min(yp), max(yp)
            yv = np.geomspace(lo, min(15.0, hi), 40)
            ax.semilogx(yv, yv, color="grey", ls="--", lw=1, gid="viscous_law", label="$U^+ = y^+$", zorder=0)
            yl = np.geomspace(max(10.0, lo), hi, 40)
            ax.semilogx(yl, np.log(yl) / KAPPA + B_LOG, color="grey", ls=":", lw=1.4, gid="log_law",
                        label=f"$U^+ = \\ln(y^+)/{KAPPA} + {B_LOG}$", zorder=0)
        ax.set_xlabel(xlab)
        ax.set_ylabel("$U^+$ " + plus)
        ax.set_title("Mean velocity (markers: grid points)")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        readable_log_ticks(ax)
        fig.tight_layout()
        save(fig, "mean_velocity.png", "Mean velocity profile in wall units", 1,
             f"U+ against y+ in the lower half of the channel, one marker per grid point of each series; "
             f"viscous sublayer U+ = y+ (dashed) and log law U+ = ln(y+)/{KAPPA} + {B_LOG} (dotted) as guides. "
             f"Wall units of the reference: u_tau = {u_tau:.4g}, Re_tau = {re_tau:.4g}.")

        fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
        for ax, key, name in zip(axes, ["u_rms_plus", "v_rms_plus", "w_rms_plus"], ["u", "v", "w"]):
            for s in order:
                if s in prof:
                    ax.semilogx(*lower_half(prof[s], key), **style(s, "o"))
            ax.set_xlabel(xlab)
            ax.set_ylabel(f"${name}'^+_{{rms}}$ " + plus)
            ax.set_title(f"rms {name}'")
            ax.grid(True, which="both", alpha=0.3)
            readable_log_ticks(ax)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        save(fig, "rms.png", "Velocity fluctuations (rms) in wall units", 3,
             "rms of u', v', w' against y+, lower half of the channel, one marker per grid point.")

        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        for s in order:
            if s in prof:
                ax.semilogx(*lower_half(prof[s], "minus_uv_plus"), **style(s, "o"))
        ax.set_xlabel(xlab)
        ax.set_ylabel("$-\\langle u'v'\\rangle^+$ " + plus)
        ax.set_title("Reynolds shear stress")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        readable_log_ticks(ax)
        fig.tight_layout()
        save(fig, "reynolds_stress.png", "Reynolds shear stress in wall units", 1,
             "-<u'v'>+ against y+, lower half of the channel, one marker per grid point.")

    spectra = read_csv(os.path.join(out, "spectra.csv"))
    if spectra:
        heights = sorted({r["y"] for r in spectra}, key=fnum)

        def band(yv, axis):
            """The series' (k, E_uu) up to the reference's filter cut-off, the cut-off, the
            floor and the wavenumbers past the cut-off."""
            sel = by_series([r for r in spectra if r["y"] == yv and r["axis"] == axis])
            curves = {s: [(fnum(r["k"]), fnum(r["E_uu"])) for r in rows if fnum(r["k"]) > 0] for s, rows in sel.items()}
            ref = sorted(curves.get(ref_label) or [p for c in curves.values() for p in c])
            peak = max((e for _, e in ref), default=0.0)
            floor = FLOOR * peak
            # the coarse grid's filter keeps |k| < N/2 (solvers/channel_filter.hpp): the last mode
            # of the table, the Nyquist mode, holds only round-off in a filtered reference; the
            # cut-off is then the mode below it (else the table's last mode: nothing is clipped)
            k_c = ref[-1][0] if ref else 1.0
            if len(ref) > 1 and ref[-1][1] < floor:
                k_c = ref[-2][0]
            past = sorted({k for c in curves.values() for k, _ in c if k > k_c * (1 + 1e-9)})
            clipped = {s: [(k, e) for k, e in c if k <= k_c * (1 + 1e-9)] for s, c in curves.items()}
            yp = sel[ref_label][0]["y_plus"] if ref_label in sel else ""
            where = f"$y^+$ = {fnum(yp):.1f}" if yp else f"y = {fnum(yv):.3f}"
            return clipped, k_c, floor, past, where

        sub = {"kx": "x", "kz": "z"}
        fig, axes = plt.subplots(len(heights), 2, figsize=(11, 3.9 * len(heights)), squeeze=False)
        for row, yv in enumerate(heights):
            for col, axis in enumerate(["kx", "kz"]):
                ax = axes[row][col]
                clipped, k_c, floor, past, where = band(yv, axis)
                shown = []
                for s in order:
                    if s in clipped and clipped[s]:
                        ks, es = [p[0] for p in clipped[s]], [max(p[1], 1e-300) for p in clipped[s]]
                        ax.loglog(ks, es, **style(s, "."))
                        shown += [e for e in es if e >= floor]
                lo, hi = (min(shown), max(shown)) if shown else (floor, 1.0)
                ax.set_ylim(lo / 2, hi * 2)  # the data above the floor; values past the cut-off are off the axis
                kmin = min((k for c in clipped.values() for k, _ in c), default=k_c)
                ax.set_xlim(kmin / 1.2, k_c * 1.2)
                if past:
                    ax.axvline(k_c, color="grey", ls="--", lw=1, gid="cutoff", label="filter cut-off")
                ax.set_xlabel(f"$k_{sub[axis]}$ (1/h)")
                ax.set_ylabel(f"$E_{{uu}}(k_{sub[axis]})$ (${vtex}^2$ h)")
                ax.set_title(f"Streamwise velocity spectrum in {sub[axis]}, {where}", fontsize=10)
                ax.grid(True, which="both", alpha=0.3)
                readable_log_ticks(ax)
                if re_tau > 0:
                    top = ax.secondary_xaxis("top", functions=(lambda k, r=re_tau: k / r, lambda kp, r=re_tau: kp * r))
                    top.set_xlabel(f"$k_{sub[axis]}^+ = k_{sub[axis]}\\,\\nu/u_\\tau$ (wall units)", fontsize=9)
                    readable_log_ticks(top, "x")
                extra[id(ax)] = {"spectrum": {"axis": axis, "y": fnum(yv), "cutoff_k": k_c, "floor": floor,
                                              "past_cutoff_k": past, "shown_min": lo, "shown_max": hi}}
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        save(fig, "spectra.png", "Streamwise and spanwise spectra of u", 2 * len(heights),
             f"One-sided spectra of u' (sum over k = <u'^2>), to the reference's filter cut-off (dashed): the "
             f"coarse grid's Nyquist mode past it, where the filtered reference holds only round-off (below "
             f"{FLOOR:g} of its peak), is not drawn, and the y range is that of the data above that floor. "
             f"Bottom axis: k in 1/h; top axis: k+ = k/Re_tau.")

        if re_tau > 0:
            fig, axes = plt.subplots(len(heights), 2, figsize=(11, 3.6 * len(heights)), squeeze=False)
            for row, yv in enumerate(heights):
                for col, axis in enumerate(["kx", "kz"]):
                    ax = axes[row][col]
                    clipped, k_c, floor, past, where = band(yv, axis)
                    for s in order:
                        if s in clipped and clipped[s]:
                            lam = [2 * math.pi / k * re_tau for k, _ in clipped[s]]
                            ax.semilogx(lam, [k * e / u_tau**2 for k, e in clipped[s]], **style(s, "."))
                    ax.set_ylim(bottom=0)
                    ax.set_xlabel(f"$\\lambda_{sub[axis]}^+ = 2\\pi\\,Re_\\tau/k_{sub[axis]}$ (wall units)")
                    ax.set_ylabel(f"$k_{sub[axis]} E_{{uu}}/u_\\tau^2$ (wall units)")
                    ax.set_title(f"Premultiplied spectrum in {sub[axis]}, {where}", fontsize=10)
                    ax.grid(True, which="both", alpha=0.3)
                    readable_log_ticks(ax)
                    extra[id(ax)] = {"spectrum": {"axis": axis, "y": fnum(yv), "cutoff_k": k_c,
                                                  "premultiplied": True}}
            axes[0][0].legend(fontsize=8)
            fig.tight_layout()
            save(fig, "spectra_premultiplied.png", "Premultiplied spectra of u against wavelength in wall units",
                 2 * len(heights),
                 f"k E_uu(k) / u_tau^2 against lambda+ = 2 pi Re_tau / k (Re_tau = {re_tau:.4g}), to the filter "
                 f"cut-off; the area under each curve on the log axis is proportional to <u'^2>.")

    errors = by_series(read_csv(os.path.join(out, "error_vs_time.csv")))
    energy = by_series(read_csv(os.path.join(out, "energy_vs_time.csv")))
    tlab = f"time since the initial state (h/${vtex}$)"
    if errors:
        threshold = None
        for k in (summary[0].keys() if summary else []):
            if k.startswith("first_step_over_"):
                threshold = fnum(k[len("first_step_over_"):])
        # the total (dominated by the mean flow), the error against the reference's
        # fluctuations, and each component
        panels = [("err_total", "total"), ("err_fluct", "against the fluctuations"), ("err_u", "u"),
                  ("err_v", "v"), ("err_w", "w")]
        fig, axes = plt.subplots(2, 3, figsize=(15, 8.2))
        for ax, (key, name) in zip(axes.flat, panels):
            for s in labels:
                if s in errors:
                    ax.plot([fnum(r["t"]) for r in errors[s]], [fnum(r[key]) for r in errors[s]], **style(s))
            if threshold is not None and key == "err_total":
                ax.axhline(threshold, color="grey", ls="--", lw=1, label=f"threshold {threshold:g}")
            ax.axhline(0.0, color="black", lw=2.2, label=f"{ref_label} (0)")
            ax.set_xlabel(tlab)
            ax.set_ylabel("relative L2 error (dimensionless)")
            ax.set_title(f"Error, {name}")
            ax.grid(True, alpha=0.3)
        legend_ax = axes.flat[len(panels)]
        legend_ax.axis("off")
        handles, names = axes.flat[0].get_legend_handles_labels()
        legend_ax.legend(handles, names, loc="center", fontsize=9)
        fig.tight_layout()
        save(fig, "error.png", "Relative L2 error against time: total, against the fluctuations, per component",
             len(panels),
             f"||u - u_ref|| / ||u_ref|| over the whole field (total, and per component), and ||u - u_ref|| / "
             f"||u_ref - <u_ref>_xz|| (against the fluctuations), averaged over trajectories; time in {tunit}.")
    if energy:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        first = next((s for s in labels if s in energy), None)
        if first:
            ax.plot([fnum(r["t"]) for r in energy[first]], [fnum(r["reference_kinetic_energy"]) for r in energy[first]],
                    **style(ref_label))
        for s in labels:
            if s in energy:
                ax.plot([fnum(r["t"]) for r in energy[s]], [fnum(r["kinetic_energy"]) for r in energy[s]], **style(s))
        ax.set_xlabel(tlab)
        ax.set_ylabel(f"$E = \\frac{{1}}{{2}}\\langle |\\mathbf{{u}}|^2 \\rangle_V$ (${vtex}^2$)")
        ax.set_title("Kinetic energy per unit mass (mean flow included)")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        save(fig, "energy.png", "Kinetic energy against time", 1,
             f"E = 1/2 <u u + v v + w w>_V: the volume average (Clenshaw-Curtis weights in y) of the kinetic energy "
             f"per unit mass of the whole field, mean flow included, in {vel}^2, averaged over trajectories; the "
             f"reference: the snapshots the first candidate is compared with.")

    slice_path = os.path.join(out, "slice.h5")
    if os.path.exists(slice_path):
        try:
            import h5py
        except ImportError:
            h5py = None
            print("plot_compare: h5py is not available (python3-h5py); no slice figure")
        if h5py is not None:
            def text(v):
                return v.decode() if isinstance(v, bytes) else str(v)

            with h5py.File(slice_path, "r") as f:
                x, z = f["x"][...], f["z"][...]
                yplus = float(f.attrs["y_plus"])
                cands, refs = [], []
                for i in range(int(f.attrs["candidates"])):
                    g, r = f"candidate_{i}", f"reference_{i}"
                    if g not in f:
                        continue
                    cands.append((f"{text(f[g].attrs['label'])} (step {int(f[g].attrs['step'])})", f[g][...],
                                  text(f[g].attrs["label"])))
                    key = (int(f[r].attrs["trajectory"]), int(f[r].attrs["time_index"]))
                    refs.append((f"{ref_label} (traj {key[0]}, index {key[1]})", f[r][...], key))
            # one reference panel when every candidate is compared with the same snapshot, else
            # the reference snapshot above each candidate
            if cands:
                if len({r[2] for r in refs}) == 1:
                    panels = [(refs[0][0], refs[0][1], None)] + cands
                    cols = min(len(panels), 3)
                    rows = (len(panels) + cols - 1) // cols
                else:
                    panels = [(r[0], r[1], None) for r in refs] + cands
                    cols, rows = len(cands), 2
                n = len(panels)
                dx, dz = (x[1] - x[0]) if len(x) > 1 else 1, (z[1] - z[0]) if len(z) > 1 else 1
                lx = fnum(meta.get("reference", {}).get("lx")) if meta.get("reference") else x[-1] + dx
                lz = fnum(meta.get("reference", {}).get("lz")) if meta.get("reference") else z[-1] + dz
                extent = [x[0], x[0] + lx, z[0], z[0] + lz]  # cell-centred: the plane is lx by lz
                where = f"y+ = {yplus:.1f}" if yplus >= 0 else "the slice height"
                panel_w = 4.4
                panel_h = panel_w * lz / lx + 0.9  # equal aspect, plus title and axis labels

                def slice_figure(values, cmap, vmin, vmax, cbar, name, title, caption):
                    fig, axes = plt.subplots(rows, cols, figsize=(panel_w * cols + 1.2, panel_h * rows + 0.6),
                                             squeeze=False, constrained_layout=True)
                    im = None
                    for k, ((ttl, _, who), data) in enumerate(zip(panels, values)):
                        ax = axes[k // cols][k % cols]
                        im = ax.imshow(np.asarray(data).T, origin="lower", extent=extent, aspect="equal", cmap=cmap,
                                       vmin=vmin, vmax=vmax, interpolation="nearest")
                        ax.set_title(ttl, fontsize=9, color="black" if who is None else colour.get(who, "black"))
                        ax.set_xlabel("x (h)")
                        ax.set_ylabel("z (h)")
                    for k in range(n, rows * cols):
                        axes[k // cols][k % cols].axis("off")
                    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.9, label=cbar)
                    fig.suptitle(title)
                    save(fig, name, title, n, caption)

                u = [np.asarray(p[1]) for p in panels]
                lo, hi = min(float(np.min(v)) for v in u), max(float(np.max(v)) for v in u)
                box = f"the plane is {lx:.4g} x {lz:.4g} h, drawn to scale"
                slice_figure(u, "viridis", lo, hi, f"u (${vtex}$)", "slice.png",
                             f"Instantaneous u in an x-z plane at {where}",
                             f"Streamwise velocity at {where} ({box}), sequential colour map on one scale for every "
                             f"panel; the reference snapshot each candidate is compared with is labelled.")
                fl = [v - v.mean() for v in u]
                m = max(float(np.max(np.abs(v))) for v in fl) or 1.0
                slice_figure(fl, "RdBu_r", -m, m, f"$u - \\langle u\\rangle_{{xz}}$ (${vtex}$)", "slice_fluctuation.png",
                             f"Streamwise velocity fluctuation in an x-z plane at {where}",
                             f"u less its own x-z mean at {where} ({box}), diverging colour map centred at zero "
                             f"(symmetric limits ±{m:.3g} {vel}); streaks show as alternating bands in z.")

    tmp = os.path.join(out, ".figures.json.partial")
    with open(tmp, "w") as f:
        json.dump({"reference": ref_label, "candidates": labels, "units": {"velocity": vel, "time": tunit},
                   "u_tau": u_tau, "re_tau": re_tau, "toy_sizes": toy_size_reasons(meta), "figures": figures},
                  f, indent=1)
    os.replace(tmp, os.path.join(out, "figures.json"))
    write_report(out, figures, meta)
    print(f"plot_compare: {len(figures)} figures and report.html in {out}")


if __name__ == "__main__":
    main()
