"""pvpython: a rollout's VTK collection has its time steps, the fields velocity, vorticity,
Q and error with finite ranges, and renders to a PNG (the last step, streamwise velocity).

usage: pvpython SCRIPT RUN.pvd - [EXPECTED_STEPS]         data checks (default 4 steps: t = 0, 1, 2, 3)
       pvbatch  SCRIPT RUN.pvd OUT.png [EXPECTED_STEPS]   checks and a rendered frame, under X"""
import math
import os
import sys

from paraview.simple import ColorBy, GetActiveViewOrCreate, OpenDataFile, SaveScreenshot, Show, UpdatePipeline

pvd, png = sys.argv[1], sys.argv[2]
expected = int(sys.argv[3]) if len(sys.argv) > 3 else 4
bad = []
r = OpenDataFile(pvd)
times = list(r.TimestepValues)
if expected == 4 and times != [0.0, 1.0, 2.0, 3.0]:
    bad.append(f"times {times}")
if len(times) != expected:
    bad.append(f"{len(times)} time steps, want {expected}")
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
if png == "-":  # data checks only: pvpython, no display needed
    print("\n".join(bad) if bad else f"ParaView (pvpython): {len(times)} steps, fields ok")
    sys.exit(1 if bad else 0)
view = GetActiveViewOrCreate("RenderView")
view.ViewSize = [800, 400]
view.ViewTime = times[-1]
d = Show(r, view)
d.Representation = "Surface"
ColorBy(d, ("POINTS", "velocity", "X"))
d.SetScalarBarVisibility(view, True)
view.CameraPosition = [-2.0, 2.5, 4.0]
view.CameraFocalPoint = [1.5, 0.0, 0.3]
view.CameraViewUp = [0.0, 1.0, 0.0]
view.ResetCamera()
SaveScreenshot(png, view, ImageResolution=[800, 400])
if not (os.path.exists(png) and os.path.getsize(png) > 1000):
    bad.append("no screenshot")
print("\n".join(bad) if bad else f"ParaView: {len(times)} steps, fields ok, rendered {png}")
if bad:
    sys.exit(1)
