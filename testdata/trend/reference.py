"""Reference values for package trend's slopes and Mann-Kendall tests.

Run from this directory:  /usr/bin/python3 reference.py
(Debian python3-numpy 1.24, python3-scipy 1.10). It writes series.csv (the
seeded input series, NaN marking missing values) and expected.json.

OLS comes from scipy.stats.linregress and Theil-Sen from
scipy.stats.theilslopes, both on the non-missing (t, y) pairs. pymannkendall
is not packaged here, so the Mann-Kendall family is computed below straight
from its definitions by O(n^2) loops, following pymannkendall's
original_test, hamed_rao_modification_test and seasonal_test (with the
detrending of Hamed-Rao on the true time index); S is cross-checked against
scipy.stats.kendalltau.
"""
import json
import math

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261125)
n = 60
t = np.arange(n)
series = {}
y = np.round(0.05 * t + rng.normal(0, 1, n), 1)  # rounding makes ties
y[[5, 17, 40]] = np.nan
series["noisy_trend"] = y
e = np.zeros(120)
for i in range(1, 120):
    e[i] = 0.7 * e[i - 1] + rng.normal()
series["ar1_trend"] = 0.02 * np.arange(120) + e
m = np.arange(120)
s = np.round(10 + 0.03 * m + 3 * np.sin(2 * np.pi * m / 12) + rng.normal(0, 1, 120), 2)
s[[7, 50]] = np.nan
series["monthly"] = s
series["ties"] = rng.integers(0, 4, 40).astype(float)
series["falling"] = 100 - 0.5 * np.arange(30) + rng.normal(0, 2, 30)


def mk_s(v):
    n = len(v)
    return sum(np.sign(v[j] - v[i]) for i in range(n) for j in range(i + 1, n))


def var_s(v):
    n = len(v)
    _, counts = np.unique(v, return_counts=True)
    return (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18


def z_p(s, var):
    if s > 0:
        z = (s - 1) / math.sqrt(var)
    elif s < 0:
        z = (s + 1) / math.sqrt(var)
    else:
        z = 0.0
    return z, 2 * (1 - stats.norm.cdf(abs(z)))


def mann_kendall(y):
    v = y[~np.isnan(y)]
    n = len(v)
    s = int(mk_s(v))
    tt = np.arange(len(y))[~np.isnan(y)]
    tau_b = stats.kendalltau(tt, v).statistic
    _, c = np.unique(v, return_counts=True)
    n0 = n * (n - 1) / 2
    assert abs(tau_b * math.sqrt(n0 * (n0 - np.sum(c * (c - 1) / 2))) - s) < 1e-6
    var = var_s(v)
    z, p = z_p(s, var)
    return dict(S=s, VarS=var, Z=z, P=p, Tau=s / n0, N=n)


def hamed_rao(y, alpha=0.05):
    ok = ~np.isnan(y)
    v, tt = y[ok], np.arange(len(y))[ok]
    n = len(v)
    s = int(mk_s(v))
    var = var_s(v)
    slope = stats.theilslopes(v, tt).slope
    ranks = stats.rankdata(v - slope * tt)
    d = ranks - ranks.mean()
    acf = np.array([np.sum(d[: n - k] * d[k:]) for k in range(n)]) / np.sum(d * d)
    bound = stats.norm.ppf(1 - alpha / 2) / math.sqrt(n)
    sni = sum((n - k) * (n - k - 1) * (n - k - 2) * acf[k] for k in range(1, n)
              if not (-bound <= acf[k] <= bound))
    corr = 1 + 2 / (n * (n - 1) * (n - 2)) * sni
    z, p = z_p(s, var * corr)
    return dict(S=s, VarS=var * corr, Z=z, P=p, Tau=s / (n * (n - 1) / 2), N=n, Correction=corr)


def seasonal_mk(y, period):
    s, var, npairs, n = 0, 0.0, 0, 0
    for j in range(period):
        v = y[j::period]
        v = v[~np.isnan(v)]
        n += len(v)
        if len(v) < 2:
            continue
        s += int(mk_s(v))
        var += var_s(v)
        npairs += len(v) * (len(v) - 1) / 2
    z, p = z_p(s, var)
    return dict(S=s, VarS=var, Z=z, P=p, Tau=s / npairs, N=n)


def seasonal_sen(y, period):
    d = []
    for j in range(period):
        idx = np.arange(j, len(y), period)
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                yi, yj = y[idx[a]], y[idx[b]]
                if not (np.isnan(yi) or np.isnan(yj)):
                    d.append((yj - yi) / (b - a))
    return float(np.median(d)) / period


expected = {}
for name, y in series.items():
    ok = ~np.isnan(y)
    tt, v = np.arange(len(y))[ok], y[ok]
    lr = stats.linregress(tt, v)
    ts = stats.theilslopes(v, tt, 0.95)
    ts90 = stats.theilslopes(v, tt, 0.90)
    expected[name] = dict(
        ols=dict(Slope=lr.slope, Intercept=lr.intercept, SlopeSE=lr.stderr, P=lr.pvalue),
        theil_sen=dict(Slope=ts.slope, Intercept=ts.intercept, Lower=ts.low_slope, Upper=ts.high_slope),
        theil_sen_90=dict(Lower=ts90.low_slope, Upper=ts90.high_slope),
        mann_kendall=mann_kendall(y),
        hamed_rao=hamed_rao(y),
    )
expected["monthly"]["seasonal_mann_kendall"] = seasonal_mk(series["monthly"], 12)
expected["monthly"]["seasonal_sen"] = seasonal_sen(series["monthly"], 12)

with open("series.csv", "w") as f:
    names = list(series)
    f.write(",".join(["name", "values"]) + "\n")
    for name in names:
        f.write(name + "," + " ".join(repr(float(x)) for x in series[name]) + "\n")
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, default=float)
