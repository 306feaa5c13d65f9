"""Times statsmodels' ARIMA on one series for examples/bench/arima.

Usage: python3 statsmodels_arima.py SERIES.csv p d q P D Q m mean reps
Prints one JSON object: the log-likelihood and the median fit time in ms.
"""
import csv
import json
import math
import statistics
import sys
import time
import warnings

from statsmodels.tsa.arima.model import ARIMA

warnings.filterwarnings("ignore")
path = sys.argv[1]
p, d, q, P, D, Q, m = (int(v) for v in sys.argv[2:9])
mean = sys.argv[9] == "1"
reps = int(sys.argv[10])
with open(path, newline="") as f:
    y = [float(r["y"]) if r["y"] not in ("", "NA") else math.nan for r in csv.DictReader(f)]
seasonal = (P, D, Q, m) if m > 1 else (0, 0, 0, 0)
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    res = ARIMA(y, order=(p, d, q), seasonal_order=seasonal, trend="c" if mean else "n").fit()
    times.append(time.perf_counter() - t0)
print(json.dumps({"loglik": float(res.llf), "ms": 1000 * statistics.median(times)}))
