"""Reference change points for trend.PELT and trend.BinarySegmentation.

Run from this directory:  /usr/bin/python3 changepoints.py
(Debian python3-numpy). R's changepoint package is not packaged here, so the
optimum is computed independently by exact optimal partitioning (Jackson et
al. 2005): an O(n^2) dynamic programme over all last-change positions with
no pruning, which PELT must equal, using changepoint's segment costs and
penalties (see trend/cost.go). Binary segmentation is the plain greedy
procedure. Writes changepoints.json: each case has its input series, the
settings and the expected change points (0-based first index of each new
segment).
"""
import json
import math

import numpy as np

rng = np.random.default_rng(7)


def cost(y, a, b, kind, var, mbic):
    seg = y[a:b]
    m = b - a
    ss = float(np.sum((seg - seg.mean()) ** 2))
    if kind == "mean":
        c = ss / var
    else:
        v = ss / m
        if v <= 0:
            v = 1e-11
        c = m * (math.log(2 * math.pi) + math.log(v) + 1)
    if mbic:
        c += math.log(m)
    return c


def penalty(n, kind, pen):
    p = 1 if kind == "mean" else 2
    return {"MBIC": (p + 2) * math.log(n), "BIC": (p + 1) * math.log(n)}[pen]


def optimal_partitioning(y, kind, pen, var, minseg):
    n = len(y)
    beta = penalty(n, kind, pen)
    mbic = pen == "MBIC"
    f = [math.inf] * (n + 1)
    last = [0] * (n + 1)
    f[0] = -beta
    for t in range(minseg, n + 1):
        for s in range(0, t - minseg + 1):
            if f[s] == math.inf:
                continue
            v = f[s] + cost(y, s, t, kind, var, mbic) + beta
            if v < f[t]:
                f[t], last[t] = v, s
    cps, t = [], last[n]
    while t > 0:
        cps.append(t)
        t = last[t]
    return sorted(cps)


def binseg(y, kind, pen, var, minseg, q=5):
    n = len(y)
    beta = penalty(n, kind, pen)
    mbic = pen == "MBIC"

    def best(a, b):
        whole = cost(y, a, b, kind, var, mbic)
        out = (-math.inf, -1)
        for tau in range(a + minseg, b - minseg + 1):
            g = whole - cost(y, a, tau, kind, var, mbic) - cost(y, tau, b, kind, var, mbic)
            if g > out[0]:
                out = (g, tau)
        return (a, b) + out

    segs = [best(0, n)]
    cps = []
    while len(cps) < q:
        cand = [s for s in segs if s[3] >= 0]
        if not cand:
            break
        s = max(cand, key=lambda s: s[2])
        if not s[2] > beta:
            break
        cps.append(s[3])
        segs.remove(s)
        segs += [best(s[0], s[3]), best(s[3], s[1])]
    return sorted(cps)


mean_shifts = np.concatenate([rng.normal(0, 1, 80), rng.normal(3, 1, 60), rng.normal(-1, 1, 100), rng.normal(1.5, 1, 60)])
var_shifts = np.concatenate([rng.normal(0, 1, 100), rng.normal(0, 4, 80), rng.normal(2, 0.5, 70)])
subtle = np.concatenate([rng.normal(10, 2, 120), rng.normal(11.5, 2, 120)])
cases = []
for name, y, kind, var, minseg in [
    ("mean_shifts", mean_shifts, "mean", 1.0, 1),
    ("var_shifts", var_shifts, "meanvar", 0, 2),
    ("subtle", subtle, "mean", 4.0, 5),
    ("subtle_meanvar", subtle, "meanvar", 0, 2),
]:
    for pen in ["MBIC", "BIC"]:
        cases.append(dict(name=f"{name}/{pen}", y=[float(v) for v in y], cost=kind, penalty=pen,
                          variance=var, min_segment=minseg,
                          pelt=optimal_partitioning(y, kind, pen, var, minseg),
                          binseg=binseg(y, kind, pen, var, minseg)))
with open("changepoints.json", "w") as f:
    json.dump(cases, f)
for c in cases:
    print(c["name"], c["pelt"], c["binseg"])
