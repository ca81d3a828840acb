"""Centred finite differences: the oracle for every hand-written backward pass.

Use float64 and tiny seeded cases. ``rel_error`` follows cs231n: |a - b| / max(|a| + |b|, tiny).
"""

from __future__ import annotations

import numpy as np

STEP = 1e-6  # centred differences have O(h^2) error; 1e-6 keeps it far below float64 rounding noise


def numerical_gradient(f, x: np.ndarray, step: float = STEP) -> np.ndarray:
    """d f(x) / d x for a scalar function f, perturbing ``x`` in place (restored afterwards)."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        original = x[i]
        x[i] = original + step
        plus = f()
        x[i] = original - step
        minus = f()
        x[i] = original
        grad[i] = (plus - minus) / (2 * step)
    return grad


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))


def assert_gradients_match(analytic: np.ndarray, f, x: np.ndarray, tol: float = 1e-6, name: str = "x") -> None:
    numeric = numerical_gradient(f, x)
    err = rel_error(analytic, numeric)
    assert err < tol, f"d/d{name}: rel_error {err:.3g} >= {tol}\nmine:\n{analytic}\nfinite differences:\n{numeric}"
