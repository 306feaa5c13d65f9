"""Fit and score scikit-learn's IsolationForest on one ODDS dataset, as omen's side-by-side bench does.

Usage: python3 sklearn_iforest.py DATASET.csv SEEDS
Prints one JSON object: per-seed AUROC, fit+score seconds, and the median seconds to score one row.
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def main():
    path, seeds = sys.argv[1], int(sys.argv[2])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    X, y = data[:, :-1], data[:, -1]
    aucs, fit_score = [], []
    model = None
    for seed in range(seeds):
        start = time.perf_counter()
        model = IsolationForest(n_estimators=100, max_samples=256, contamination="auto",
                                random_state=seed, n_jobs=1).fit(X)
        scores = -model.score_samples(X)
        fit_score.append(time.perf_counter() - start)
        aucs.append(roc_auc_score(y, scores))
    one_row = []
    for i in range(50):
        row = X[i:i + 1]
        start = time.perf_counter()
        model.score_samples(row)
        one_row.append(time.perf_counter() - start)
    json.dump({"auroc": aucs, "fit_score_s": fit_score, "one_row_s": float(np.median(one_row))}, sys.stdout)


if __name__ == "__main__":
    main()
