"""Reference DBSCAN labels and k-distances from scikit-learn for patterns/dbscan_test.go.

Run from the repository root:
    /usr/bin/python3 testdata/patterns/make_dbscan_ref.py testdata/patterns

(python3-sklearn 1.2.1, python3-numpy 1.24.2 from Debian 12.) For each case it writes
<name>.csv with columns x0..x{d-1},label (scikit-learn's DBSCAN labels, algorithm="auto") and
kdist (the distance to the min_samples-th nearest row, self included, from NearestNeighbors), and
appends name,eps,min_samples to cases.csv.
"""
import os
import sys

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons
from sklearn.neighbors import NearestNeighbors


def cases():
    rng = np.random.RandomState(0)
    X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.4, random_state=0)
    X = np.vstack([X, rng.uniform(-4, 6, size=(30, 2))])
    yield "blobs2d", X, 0.3, 5

    X, _ = make_moons(n_samples=200, noise=0.08, random_state=1)
    yield "moons2d", X, 0.15, 5

    rng = np.random.RandomState(2)
    X = np.vstack([rng.normal(size=(200, 8)), rng.normal(4, 1, size=(60, 8)), rng.uniform(-8, 8, size=(20, 8))])
    yield "gauss8d", X, 2.0, 5

    # Integer grid: many distances equal eps exactly, which tests the "≤ eps" boundary.
    rng = np.random.RandomState(3)
    X = rng.randint(0, 8, size=(150, 3)).astype(float)
    yield "grid3d", X, 1.0, 4

    # More than 15 columns: scikit-learn uses brute force here.
    rng = np.random.RandomState(4)
    X = np.vstack([rng.normal(size=(120, 20)), rng.normal(3, 1, size=(40, 20))])
    yield "gauss20d", X, 5.0, 3

    # Duplicated rows and min_samples = 1 (every point is core).
    rng = np.random.RandomState(5)
    base = rng.normal(size=(40, 2))
    X = np.vstack([base, base[:15]])
    yield "dups2d_min1", X, 0.2, 1


def main(outdir):
    with open(os.path.join(outdir, "cases.csv"), "w") as manifest:
        manifest.write("name,eps,min_samples\n")
        for name, X, eps, m in cases():
            labels = DBSCAN(eps=eps, min_samples=m).fit(X).labels_
            dist, _ = NearestNeighbors(n_neighbors=m).fit(X).kneighbors(X)
            kdist = dist[:, m - 1]
            d = X.shape[1]
            with open(os.path.join(outdir, name + ".csv"), "w") as f:
                f.write(",".join(["x%d" % j for j in range(d)] + ["label", "kdist"]) + "\n")
                for row, l, k in zip(X, labels, kdist):
                    f.write(",".join(repr(float(v)) for v in row) + ",%d,%r\n" % (l, float(k)))
            manifest.write("%s,%r,%d\n" % (name, eps, m))


if __name__ == "__main__":
    main(sys.argv[1])
