"""Reference run-length posteriors for trend.BOCPD.

Run from this directory:  /usr/bin/python3 bocpd.py
(Debian python3-numpy, python3-scipy). An independent transcription of Adams
and MacKay's (2007) recursion with the prior of trend.BOCPD's documentation
(normal-gamma, kappa0 = 0.01, alpha0 = 1; a new run's prior mean and variance
are the running mean and variance of all values so far, the first value
seeding mean x and variance max(1, x^2), a seed the runs trade for the data's
variance when the first different value arrives), constant hazard 1/lambda and run
lengths truncated at max_run; the predictive densities come from
scipy.stats.t. Writes bocpd.json: the input and the posterior after each value.
"""
import json

import numpy as np
from scipy import stats

rng = np.random.default_rng(3)
x = np.concatenate([rng.normal(10, 1, 25), rng.normal(14, 2, 15)])
lam, max_run, kappa0, alpha0 = 50.0, 20, 0.01, 1.0
H = 1 / lam

prob = mu = beta = None
n, mean, m2 = 0, 0.0, 0.0
out = []
for v in x:
    if prob is None:
        prob, mu, beta = np.array([1.0]), np.array([v]), np.array([alpha0 * max(1.0, v * v)])
    r = np.arange(len(prob))
    kappa, alpha = kappa0 + r, alpha0 + r / 2
    scale = np.sqrt(beta * (kappa + 1) / (alpha * kappa))
    pred = stats.t.pdf(v, df=2 * alpha, loc=mu, scale=scale)
    growth = prob * pred * (1 - H)
    change = np.sum(prob * pred) * H
    newprob = np.concatenate([[change], growth])[: max_run + 1]
    newprob /= newprob.sum()
    newmu = np.concatenate([[0.0], (kappa * mu + v) / (kappa + 1)])[: max_run + 1]
    newbeta = np.concatenate([[0.0], beta + kappa * (v - mu) ** 2 / (2 * (kappa + 1))])[: max_run + 1]
    seed, had_variance = max(1.0, mean * mean) if not (n >= 2 and m2 > 0) else m2 / (n - 1), m2 > 0
    n += 1
    d = v - mean
    mean += d / n
    m2 += d * (v - mean)
    var = m2 / (n - 1) if n >= 2 and m2 > 0 else max(1.0, mean * mean)
    if not had_variance and m2 > 0:
        newbeta[1:] += alpha0 * (var - seed)  # the seed variance replaced by the data's
    newmu[0], newbeta[0] = mean, alpha0 * var
    prob, mu, beta = newprob, newmu, newbeta
    out.append(prob.tolist())

with open("bocpd.json", "w") as f:
    json.dump(dict(x=x.tolist(), expected_run_length=lam, max_run_length=max_run, posterior=out), f)
