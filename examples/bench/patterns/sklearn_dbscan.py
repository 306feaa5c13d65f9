"""Run scikit-learn's DBSCAN on one CSV matrix, as omen's side-by-side bench does.

Usage: python3 sklearn_dbscan.py DATA.csv EPS MIN_SAMPLES REPEATS
DATA.csv has a header row and one numeric feature per column. Prints one JSON object: the labels
of the last run and the seconds of every run (algorithm="auto", n_jobs=None: one thread).
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import DBSCAN


def main():
    path, eps, min_samples, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    X = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    seconds, labels = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit(X).labels_
        seconds.append(time.perf_counter() - start)
    json.dump({"labels": [int(v) for v in labels], "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
