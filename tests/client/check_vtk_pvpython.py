"""Client test (pvpython): ParaView opens the .pvd time series that ifactflow's VTK writers
produce, sees the right times, arrays and value ranges, and renders one frame to a PNG.

usage: pvpython check_vtk_pvpython.py RUN.pvd -         (data checks)
       pvbatch  check_vtk_pvpython.py RUN.pvd OUT.png   (checks and a rendered frame, under X)
"""
import os
import sys

from paraview.simple import GetActiveViewOrCreate, OpenDataFile, SaveScreenshot, Show, ColorBy, UpdatePipeline

pvd, png = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


r = OpenDataFile(pvd)
times = list(r.TimestepValues)
check(times == [0.0, 0.5, 1.0], f"times {times}")
for step, t in enumerate(times):
    UpdatePipeline(time=t, proxy=r)
    info = r.GetDataInformation()
    check(info.GetNumberOfPoints() == 8 * 9 * 4, f"t={t}: {info.GetNumberOfPoints()} points")
    arrays = r.PointData.keys()
    check("velocity" in arrays, f"t={t}: arrays {arrays}")
    rng_u = r.PointData["velocity"].GetRange(0)
    want = 1 + 0.1 * step
    check(abs(rng_u[0]) < 1e-6 and abs(rng_u[1] - want) < 1e-5, f"t={t}: u range {rng_u}, want [0, {want}]")
    rng_v = r.PointData["velocity"].GetRange(1)
    check(abs(rng_v[0] + 1) < 1e-5 and abs(rng_v[1] - 1) < 1e-5, f"t={t}: v range {rng_v}")

if png == "-":  # data checks only: pvpython, no display needed
    print(f"{len(failures)} check(s) failed" if failures else "ParaView (pvpython) read the series")
    sys.exit(1 if failures else 0)
view = GetActiveViewOrCreate("RenderView")
view.ViewSize = [480, 320]
d = Show(r, view)
d.Representation = "Surface"
ColorBy(d, ("POINTS", "velocity", "X"))
view.ResetCamera()
SaveScreenshot(png, view, ImageResolution=[480, 320])
check(os.path.exists(png) and os.path.getsize(png) > 1000, f"screenshot {png} missing or empty")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("ParaView read the series and rendered", png)
