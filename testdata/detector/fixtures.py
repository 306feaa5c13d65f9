# Regenerates the fixtures of the original test_phase5_ml.py (ORIGINAL-SYSTEM.md §5):
#   /usr/bin/python3 fixtures.py   (numpy 1.24.2)
# normal.csv = normal(100) with np.random.seed(42); anomalous.csv = anomalous(20) with seed 123.
# Draw order per row as in the original; values clamped at >= 0, risk clipped to [0, 1].
import numpy as np

COLS = ["error_rate", "latency_p99_ms", "latency_p95_ms", "latency_mean_ms",
        "unique_users", "unique_ips", "risk_score", "total_requests"]

def rows(seed, n, params):
    np.random.seed(seed)
    out = []
    for _ in range(n):
        r = [max(0.0, np.random.normal(m, s)) for m, s in params]
        r[6] = min(1.0, max(0.0, r[6]))
        out.append(r)
    return out

def write(name, data):
    with open(name, "w") as f:
        f.write(",".join(COLS) + "\n")
        for r in data:
            f.write(",".join(repr(float(v)) for v in r) + "\n")

write("normal.csv", rows(42, 100, [(0.5, 0.1), (150, 20), (100, 15), (50, 10), (1000, 100), (500, 50), (0.3, 0.1), (10000, 1000)]))
write("anomalous.csv", rows(123, 20, [(5, 1), (500, 50), (400, 40), (300, 30), (100, 20), (50, 10), (0.9, 0.05), (5000, 500)]))
