"""pvpython: a rollout's VTK collection has its time steps, the fields velocity, vorticity,
Q and error with finite ranges, and renders to a PNG.  usage: pvpython SCRIPT RUN.pvd OUT.png"""
import math
import os
import sys

from paraview.simple import ColorBy, GetActiveViewOrCreate, OpenDataFile, SaveScreenshot, Show, UpdatePipeline

pvd, png = sys.argv[1], sys.argv[2]
bad = []
r = OpenDataFile(pvd)
times = list(r.TimestepValues)
if times != [0.0, 1.0, 2.0, 3.0]:
    bad.append(f"times {times}")
for t in times:
    UpdatePipeline(time=t, proxy=r)
    names = r.PointData.keys()
    for n in ("velocity", "vorticity", "Q", "error"):
        if n not in names:
            bad.append(f"t={t}: no {n} in {names}")
        else:
            lo, hi = r.PointData[n].GetRange(-1 if n != "Q" else 0)
            if not (math.isfinite(lo) and math.isfinite(hi)):
                bad.append(f"t={t}: {n} range {lo}, {hi}")
view = GetActiveViewOrCreate("RenderView")
view.ViewSize = [480, 320]
d = Show(r, view)
d.Representation = "Surface"
ColorBy(d, ("POINTS", "velocity", "Magnitude"))
view.ResetCamera()
SaveScreenshot(png, view, ImageResolution=[480, 320])
if not (os.path.exists(png) and os.path.getsize(png) > 1000):
    bad.append("no screenshot")
print("\n".join(bad) if bad else f"ParaView: {len(times)} steps, fields ok, rendered {png}")
if bad:
    sys.exit(1)
