"""Reference GPD maximum-likelihood fits from scipy for severity/gpd_test.go.

Run from the repository root:
    /usr/bin/python3 testdata/severity/make_gpd_ref.py testdata/severity

(python3-scipy 1.10.1, python3-numpy 1.24.2 from Debian 12.) For each case it writes
gpd_<name>.csv (one excess per line, header "y") and appends to gpd_cases.csv the case name with
scipy.stats.genpareto.fit(y, floc=0) -> (shape, 0, scale) and the log-likelihood at that fit.
scipy maximises with a Nelder-Mead simplex from a moment start; Go's FitGPD uses Grimshaw's
reduction, so both should find the same maximum to a few parts in 10^4.
"""
import os
import sys

import numpy as np
from scipy import stats


def cases():
    rng = np.random.RandomState(10)
    yield "heavy", stats.genpareto.rvs(0.25, scale=1.5, size=300, random_state=rng)
    yield "bounded", stats.genpareto.rvs(-0.2, scale=2.0, size=200, random_state=rng)
    yield "expo", rng.exponential(0.7, size=150)
    x = rng.normal(size=5000)
    t = np.quantile(x, 0.98)
    yield "normal_tail", x[x > t] - t
    x = rng.lognormal(0, 1, size=3000)
    t = np.quantile(x, 0.95)
    yield "lognormal_tail", x[x > t] - t


def main(outdir):
    with open(os.path.join(outdir, "gpd_cases.csv"), "w") as manifest:
        manifest.write("name,shape,scale,loglik\n")
        for name, y in cases():
            c, loc, scale = stats.genpareto.fit(y, floc=0)
            ll = np.sum(stats.genpareto.logpdf(y, c, loc=0, scale=scale))
            with open(os.path.join(outdir, "gpd_%s.csv" % name), "w") as f:
                f.write("y\n")
                for v in y:
                    f.write("%r\n" % float(v))
            manifest.write("%s,%r,%r,%r\n" % (name, float(c), float(scale), float(ll)))


if __name__ == "__main__":
    main(sys.argv[1])
