"""pvpython: a rollout's VTK collection has its time steps, the fields velocity, vorticity,
Q and error with finite ranges, and renders to a PNG (the last step, streamwise velocity).
With LX,LZ: the grid is closed periodically (bounds 0..lx, -1..1, 0..lz; the end plane's
velocity equals the first plane's, probed at x = 0 and x = lx) and each step's field data
holds TimeValue (the collection's time), initial_time, step and units.

usage: pvpython SCRIPT RUN.pvd - [EXPECTED_STEPS [LX,LZ]]         data checks (default 4 steps: t = 0, 1, 2, 3)
       pvbatch  SCRIPT RUN.pvd OUT.png [EXPECTED_STEPS [LX,LZ]]   checks and a rendered frame, under X"""
import math
import os
import sys

from paraview.simple import ColorBy, GetActiveViewOrCreate, OpenDataFile, SaveScreenshot, Show, UpdatePipeline

pvd, png = sys.argv[1], sys.argv[2]
expected = int(sys.argv[3]) if len(sys.argv) > 3 else 4
box = [float(v) for v in sys.argv[4].split(",")] if len(sys.argv) > 4 else None
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
    if box:
        # the reader's own output (pvpython's built-in server; a Fetch drops the coordinates)
        data = r.GetClientSideObject().GetOutputDataObject(0)
        b = data.GetBounds()
        want = (0.0, box[0], -1.0, 1.0, 0.0, box[1])
        if any(abs(x - y) > 1e-6 for x, y in zip(b, want)):
            bad.append(f"t={t}: bounds {b}, want {want} (periodic end planes)")
        fd = data.GetFieldData()
        arrays = {fd.GetAbstractArray(i).GetName(): fd.GetAbstractArray(i) for i in range(fd.GetNumberOfArrays())}
        for name in ("TimeValue", "initial_time", "step", "units"):
            if name not in arrays:
                bad.append(f"t={t}: no field data {name} in {sorted(arrays)}")
        if "TimeValue" in arrays and abs(arrays["TimeValue"].GetTuple1(0) - t) > 1e-9:
            bad.append(f"t={t}: TimeValue {arrays['TimeValue'].GetTuple1(0)}")
        u = data.GetPointData().GetArray("velocity")
        y = data.GetYCoordinates()
        for j in range(0, y.GetNumberOfTuples(), 2):
            ids = [data.FindPoint(x, y.GetTuple1(j), z) for x, z in ((0.0, 0.0), (box[0], box[1]))]
            if min(ids) < 0:
                bad.append(f"t={t}: no grid point at x = 0 and x = lx (y_{j})")
                break
            first, end = (u.GetTuple3(i) for i in ids)
            if any(abs(p - q) > 1e-6 * (1 + abs(p)) for p, q in zip(first, end)):
                bad.append(f"t={t}: velocity at (0, y_{j}, 0) {first} and at (lx, y_{j}, lz) {end} differ")
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
