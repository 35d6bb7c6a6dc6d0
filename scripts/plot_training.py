#!/usr/bin/python3
"""Loss curves of trained operators: the training and validation loss (relative L2 error of
one step) against the epoch, one colour per run, from each run's train_log.csv.

usage: /usr/bin/python3 scripts/plot_training.py OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]

Prints, per run, the epochs, the best validation loss and its epoch, the change of the
validation loss over the last five epochs (how converged it is) and the training time."""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        sys.exit(__doc__.split("\n\n")[1])
    out = sys.argv[1]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, arg in enumerate(sys.argv[2:]):
        label, run = arg.split("=", 1)
        path = os.path.join(run, "train_log.csv")
        try:
            with open(path) as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            sys.exit(f"plot_training: cannot read {path}: {e.strerror}")
        if not rows:
            sys.exit(f"plot_training: {path} holds no epoch")
        ep = [int(r["epoch"]) for r in rows]
        tr = [float(r["train_loss"]) for r in rows]
        va = [float(r["val_loss"]) for r in rows]
        c = f"C{i}"
        ax.plot(ep, va, "-", color=c, label=f"{label} validation")
        ax.plot(ep, tr, ":", color=c, label=f"{label} training")
        best = min(range(len(va)), key=va.__getitem__)
        last5 = (va[-1] / va[-6] - 1) * 100 if len(va) > 5 else float("nan")
        secs = sum(float(r["seconds"]) for r in rows)
        print(f"{label}: {len(rows)} epochs, best validation loss {va[best]:.4g} at epoch {ep[best]}, "
              f"last 5 epochs {last5:+.1f} %, {secs / 60:.1f} min")
    ax.set_xlabel("epoch")
    ax.set_ylabel("relative L2 error of one step")
    ax.set_yscale("log")
    ax.legend(frameon=False, fontsize=7, ncol=2)
    ax.set_title("training (dotted) and validation (solid) loss", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
