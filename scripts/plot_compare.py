#!/usr/bin/python3
"""Figures and report.html of an `ifactflow compare` output folder.

usage: /usr/bin/python3 scripts/plot_compare.py OUTPUT_DIR

Reads the tables the compare command wrote (summary.csv, profiles.csv, spectra.csv,
error_vs_time.csv, energy_vs_time.csv, slice.h5) and writes, into OUTPUT_DIR:
  figures/mean_velocity.png    U+ against y+ (log axis), lower half of the channel
  figures/rms.png              u'+, v'+, w'+ against y+ (three panels)
  figures/reynolds_stress.png  -<u'v'>+ against y+
  figures/spectra.png          E_uu(kx) and E_uu(kz) at each y+ of the spectra (2 panels per y+)
  figures/error.png            relative L2 error against time: total (with the threshold), against
                               the reference's fluctuations, and per component u, v, w
  figures/energy.png           kinetic energy against time (the reference: the snapshots the first
                               candidate is compared with)
  figures/slice.png            u at y+ ~ 15 after the chosen step: the reference (one panel when every
                               candidate starts from the same reference snapshot, else one above
                               each candidate) and each candidate, on one colour scale
  figures.json                 manifest: file, title, data panels and matplotlib axes of each figure
  report.html                  the summary table and every figure on one static page
The reference is drawn in black (solid, thicker) in every figure; each candidate has one
colour and label throughout. Headless (Agg backend). Without matplotlib the script prints
one line, still writes report.html with the table, and exits with status 3.
The compare command calls this script at the end; run it again by hand to regenerate.
"""
import csv
import html
import json
import os
import sys


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return float("nan")


def markdown_to_html(text):
    """summary.md as HTML: its tables as tables, its paragraphs as paragraphs (`code` kept)."""
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
            out.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in rows[0]) + "</tr>")
            for r in rows[1:]:
                out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>")
            out.append("</table>")
        elif block[0].startswith("#"):
            out.append(f"<h1>{inline(block[0].lstrip('# '))}</h1>")
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


def write_report(out, rows, figures, note=""):
    """report.html: summary.md's tables and notes (units, one column per quantity) and the
    figures, relative links only."""
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>ifactflow compare</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
             "table{border-collapse:collapse;font-size:0.85em;margin:0.8em 0}td,th{border:1px solid #999;"
             "padding:3px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
             "img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}</style></head><body>"]
    if note:
        parts.append(f"<p><b>{html.escape(note)}</b></p>")
    summary_md = os.path.join(out, "summary.md")
    if os.path.exists(summary_md):
        with open(summary_md) as f:
            parts.append(markdown_to_html(f.read()))
    parts.append("<p>Tables: " + ", ".join(
        f"<a href=\"{n}\">{n}</a>" for n in ["summary.csv", "summary.md", "error_vs_time.csv", "energy_vs_time.csv",
                                             "profiles.csv", "spectra.csv", "slice.h5"]
        if os.path.exists(os.path.join(out, n))) + "</p>")
    for fig in figures:
        parts.append(f"<h2>{html.escape(fig['title'])}</h2><img src=\"{fig['file']}\" alt=\"{html.escape(fig['title'])}\">")
    parts.append("</body></html>")
    tmp = os.path.join(out, ".report.html.partial")
    with open(tmp, "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(tmp, os.path.join(out, "report.html"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    if not os.path.exists(os.path.join(out, "summary.csv")):
        sys.exit(f"plot_compare: {out} has no summary.csv (not an ifactflow compare output folder)")
    summary = read_csv(os.path.join(out, "summary.csv"))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print(f"plot_compare: matplotlib is not available ({e}); install python3-matplotlib to get the figures. "
              f"The tables are in {out}; report.html has the table only.")
        write_report(out, summary, [], "Figures not made: python3-matplotlib is not installed.")
        sys.exit(3)

    figdir = os.path.join(out, "figures")
    os.makedirs(figdir, exist_ok=True)
    labels = [r["label"] for r in summary]
    profiles = read_csv(os.path.join(out, "profiles.csv"))
    ref_label = profiles[0]["series"] if profiles else "reference"
    palette = [c for c in plt.rcParams["axes.prop_cycle"].by_key()["color"]]
    colour = {lab: palette[i % len(palette)] for i, lab in enumerate(labels)}
    order = [ref_label] + labels

    def style(series):
        if series == ref_label:
            return dict(color="black", lw=2.6, label=series, zorder=1)  # beneath: candidates that match stay visible
        return dict(color=colour.get(series, "grey"), lw=1.4, label=series)

    figures = []

    def save(fig, name, title, panels):
        path = os.path.join(figdir, name)
        n_axes = len(fig.axes)
        fig.savefig(path + ".partial.png", dpi=110)
        os.replace(path + ".partial.png", path)
        plt.close(fig)
        figures.append({"file": f"figures/{name}", "title": title, "panels": panels, "axes": n_axes})

    def by_series(rows):
        d = {}
        for r in rows:
            d.setdefault(r["series"], []).append(r)
        return d

    prof = by_series(profiles)
    have_yplus = profiles and profiles[0]["y_plus"] != ""

    def lower_half(rows, key):
        pts = [(fnum(r["y_plus"]) if have_yplus else 1 + fnum(r["y"]), fnum(r[key])) for r in rows if fnum(r["y"]) <= 1e-12]
        pts = [p for p in pts if p[0] > 0]
        pts.sort()
        return [p[0] for p in pts], [p[1] for p in pts]

    xlab = "y+" if have_yplus else "1 + y"
    if profiles:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for s in order:
            if s in prof:
                ax.semilogx(*lower_half(prof[s], "U_plus"), **style(s))
        ax.set_xlabel(xlab)
        ax.set_ylabel("U+")
        ax.set_title("Mean velocity")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        save(fig, "mean_velocity.png", "Mean velocity profile in wall units", 1)

        fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
        for ax, key, name in zip(axes, ["u_rms_plus", "v_rms_plus", "w_rms_plus"], ["u'+", "v'+", "w'+"]):
            for s in order:
                if s in prof:
                    ax.semilogx(*lower_half(prof[s], key), **style(s))
            ax.set_xlabel(xlab)
            ax.set_ylabel(name)
            ax.set_title(f"rms {name}")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        save(fig, "rms.png", "Velocity fluctuations (rms) in wall units", 3)

        fig, ax = plt.subplots(figsize=(6, 4.5))
        for s in order:
            if s in prof:
                ax.semilogx(*lower_half(prof[s], "minus_uv_plus"), **style(s))
        ax.set_xlabel(xlab)
        ax.set_ylabel("-u'v'+")
        ax.set_title("Reynolds shear stress")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        save(fig, "reynolds_stress.png", "Reynolds shear stress in wall units", 1)

    spectra = read_csv(os.path.join(out, "spectra.csv"))
    if spectra:
        heights = sorted({r["y"] for r in spectra}, key=fnum)
        fig, axes = plt.subplots(len(heights), 2, figsize=(11, 3.6 * len(heights)), squeeze=False)
        for row, yv in enumerate(heights):
            for col, axis in enumerate(["kx", "kz"]):
                ax = axes[row][col]
                sel = by_series([r for r in spectra if r["y"] == yv and r["axis"] == axis])
                for s in order:
                    if s in sel:
                        pts = [(fnum(r["k"]), fnum(r["E_uu"])) for r in sel[s] if fnum(r["k"]) > 0]
                        ax.loglog([p[0] for p in pts], [max(p[1], 1e-300) for p in pts], marker=".", **style(s))
                yp = sel[ref_label][0]["y_plus"] if ref_label in sel else ""
                where = f"y+ = {fnum(yp):.1f}" if yp else f"y = {fnum(yv):.3f}"
                top = max((fnum(r["E_uu"]) for rs in sel.values() for r in rs), default=0.0)
                if top > 0:
                    ax.set_ylim(bottom=top * 1e-10)  # round-off floor off the axis
                ax.set_xlabel(axis)
                ax.set_ylabel(f"E_uu({axis})")
                ax.set_title(f"Streamwise energy spectrum in {axis}, {where}")
                ax.grid(True, which="both", alpha=0.3)
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        save(fig, "spectra.png", "Streamwise and spanwise spectra of u", 2 * len(heights))

    errors = by_series(read_csv(os.path.join(out, "error_vs_time.csv")))
    energy = by_series(read_csv(os.path.join(out, "energy_vs_time.csv")))
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
            ax.set_xlabel("time since the initial state")
            ax.set_ylabel("relative L2 error")
            ax.set_title(f"Error, {name}")
            ax.grid(True, alpha=0.3)
        legend_ax = axes.flat[len(panels)]
        legend_ax.axis("off")
        handles, names = axes.flat[0].get_legend_handles_labels()
        legend_ax.legend(handles, names, loc="center", fontsize=9)
        fig.tight_layout()
        save(fig, "error.png", "Relative L2 error against time: total, against the fluctuations, per component",
             len(panels))
    if energy:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        first = next((s for s in labels if s in energy), None)
        if first:
            ax.plot([fnum(r["t"]) for r in energy[first]], [fnum(r["reference_kinetic_energy"]) for r in energy[first]],
                    **style(ref_label))
        for s in labels:
            if s in energy:
                ax.plot([fnum(r["t"]) for r in energy[s]], [fnum(r["kinetic_energy"]) for r in energy[s]], **style(s))
        ax.set_xlabel("time since the initial state")
        ax.set_ylabel("kinetic energy")
        ax.set_title("Kinetic energy")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        save(fig, "energy.png", "Kinetic energy against time", 1)

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
                shared = len({r[2] for r in refs}) == 1
                if shared:
                    panels = [(refs[0][0], refs[0][1], None)] + cands
                    cols = min(len(panels), 3)
                    rows = (len(panels) + cols - 1) // cols
                    place = list(range(len(panels)))
                else:
                    panels = [(r[0], r[1], None) for r in refs] + cands
                    cols, rows = len(cands), 2
                    place = list(range(len(panels)))
                n = len(panels)
                lo = min(float(np.min(p[1])) for p in panels)
                hi = max(float(np.max(p[1])) for p in panels)
                fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows), squeeze=False)
                dx, dz = (x[1] - x[0]) if len(x) > 1 else 1, (z[1] - z[0]) if len(z) > 1 else 1
                extent = [x[0], x[-1] + dx, z[0], z[-1] + dz]
                im = None
                for k, (title, data, who) in zip(place, panels):
                    ax = axes[k // cols][k % cols]
                    im = ax.imshow(np.asarray(data).T, origin="lower", extent=extent, aspect="auto", cmap="RdBu_r",
                                   vmin=lo, vmax=hi)
                    ax.set_title(title, fontsize=9, color="black" if who is None else colour.get(who, "black"))
                    ax.set_xlabel("x")
                    ax.set_ylabel("z")
                for k in range(n, rows * cols):
                    axes[k // cols][k % cols].axis("off")
                fig.subplots_adjust(hspace=0.5, right=0.85, top=0.8 if rows == 1 else 0.88)
                fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="u")
                where = f"y+ = {yplus:.1f}" if yplus >= 0 else "the slice height"
                fig.suptitle(f"Streamwise velocity at {where}")
                save(fig, "slice.png", f"Instantaneous u in an x-z plane at {where}", n)

    tmp = os.path.join(out, ".figures.json.partial")
    with open(tmp, "w") as f:
        json.dump({"reference": ref_label, "candidates": labels, "figures": figures}, f, indent=1)
    os.replace(tmp, os.path.join(out, "figures.json"))
    write_report(out, summary, figures)
    print(f"plot_compare: {len(figures)} figures and report.html in {out}")


if __name__ == "__main__":
    main()
