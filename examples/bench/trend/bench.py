"""Reference side of the trend benchmark (run by main.go, not by hand).

Usage: python3 bench.py DIR
Reads DIR/*.csv written by main.go, runs statsmodels' STL and scipy's
kendalltau, theilslopes and linregress on them with settings matching
omen's, times each (median of repeated runs) and writes DIR/reference.json.
"""
import json
import sys
import time

import numpy as np
from scipy import stats
from statsmodels.tsa.seasonal import STL

d = sys.argv[1]


def load(name):
    return np.loadtxt(f"{d}/{name}.csv", skiprows=1)


def timed(f, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times))


res = {}
hourly = load("hourly")
n = len(hourly)
# R's stl defaults for period 24 and s.window 11: t.window 43, l.window 25,
# degrees 0/1/1, jumps 2/5/3, inner 2, outer 0.
stl_args = dict(period=24, seasonal=11, trend=43, low_pass=25, seasonal_deg=0, trend_deg=1,
                low_pass_deg=1, seasonal_jump=2, trend_jump=5, low_pass_jump=3)
fit, t = timed(lambda: STL(hourly, **stl_args).fit(inner_iter=2, outer_iter=0), 20)
res["stl"] = dict(seconds=t, trend=fit.trend.tolist(), seasonal=fit.seasonal.tolist())
odd = hourly[:-1]  # an odd length: the robustness weights' median is unique
fit, t = timed(lambda: STL(odd, robust=True, **stl_args).fit(inner_iter=1, outer_iter=15), 5)
res["stl_robust"] = dict(seconds=t, trend=fit.trend.tolist(), seasonal=fit.seasonal.tolist(),
                         weights=fit.weights.tolist())

tt = np.arange(n)
kt, t = timed(lambda: stats.kendalltau(tt, hourly), 20)
res["kendalltau"] = dict(seconds=t, tau_b=float(kt.statistic))

lr, t = timed(lambda: stats.linregress(tt, hourly), 50)
res["linregress"] = dict(seconds=t, slope=lr.slope, intercept=lr.intercept, stderr=lr.stderr)

small = load("small")
ts, t = timed(lambda: stats.theilslopes(small, np.arange(len(small)), 0.95), 5)
res["theilslopes"] = dict(seconds=t, slope=ts.slope, intercept=ts.intercept, low=ts.low_slope, high=ts.high_slope)

with open(f"{d}/reference.json", "w") as f:
    json.dump(res, f)
