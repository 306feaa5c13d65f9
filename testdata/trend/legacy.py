"""Full-precision values of the original service's trend functions.

A NumPy transcription of calculate_trend, calculate_seasonality and
detect_trend_change as specified in ORIGINAL-SYSTEM.md section 4.5; its output
reproduces the values measured there (0.013605, -0.013605, ~1e-16, 0.1304,
0.4961, (False, 0.0333), (True, 1.0)). Run: /usr/bin/python3 legacy.py
Output (numpy 1.24):
  0.013605442176870654
  -0.013605442176870841
  -1.0687775062317509e-16
  0.13039215686274505
  0.4960632511340255
  (False, 0.03333333333333341)
  (True, 1.0)
"""
import numpy as np


def calculate_trend(values, window=5):
    if len(values) < window:
        return 0.0
    recent = values[-window:]
    slope = np.polyfit(np.arange(len(recent)), recent, 1)[0]
    m = np.mean(values)
    if m <= 0:
        m = 1
    return float(np.clip(slope / m, -1, 1))


def calculate_seasonality(values, period=24):
    if len(values) < 2 * period:
        return 0.0
    values = np.asarray(values)
    n, mean = len(values), np.mean(values)
    c0 = np.sum((values - mean) ** 2) / n
    ck = np.sum((values[: n - period] - mean) * (values[period:] - mean)) / n
    return float(np.clip(ck / (c0 + 1e-10), 0, 1))


def detect_trend_change(values, window=5, threshold=0.3):
    if len(values) < 2 * window:
        return (False, 0.0)
    mid = len(values) // 2
    old = calculate_trend(values[:mid], window)
    new = calculate_trend(values[mid:], window)
    change = abs(new - old)
    return (change > threshold, change)


print(repr(calculate_trend(list(np.linspace(10, 20, 50)))))
print(repr(calculate_trend(list(np.linspace(20, 10, 50)))))
print(repr(calculate_trend(list(15 * np.ones(50)))))
print(repr(calculate_trend([10, 11, 12, 15, 16, 18, 20])))
print(repr(calculate_seasonality(list(10 + 5 * np.sin(np.linspace(0, 4 * np.pi, 50))))))
print(detect_trend_change(list(np.linspace(10, 15, 25)) + list(np.linspace(15, 10, 25))))
print(detect_trend_change([1] * 12 + [1, 2, 4, 8, 16, 32, 64]))
