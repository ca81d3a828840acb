"""Shared helper (not a demo): activation functions and their derivatives, elementwise on arrays.

At a kink the derivative follows PyTorch's autograd: ReLU'(0) = 0 and LeakyReLU'(0) = slope.
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01  # PyTorch's nn.LeakyReLU default negative_slope


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-x), without overflow for large |x|."""
    # e^{-log(1 + e^{-x})}: logaddexp never overflows, so x = -1000 gives 0 rather than a warning.
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """sigma'(x) = sigma(x) (1 - sigma(x)), written as sigma(x) sigma(-x) to keep precision for large x."""
    return sigmoid(x) * sigmoid(-np.asarray(x, dtype=np.float64))


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """tanh'(x) = 1 - tanh(x)^2."""
    t = np.tanh(x)
    return 1.0 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """1 for x > 0, else 0 (the value at the kink x = 0 is PyTorch's choice)."""
    return (np.asarray(x) > 0).astype(np.float64)


def leaky_relu(x: np.ndarray, slope: float = LEAKY_SLOPE) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def leaky_relu_grad(x: np.ndarray, slope: float = LEAKY_SLOPE) -> np.ndarray:
    """1 for x > 0, else ``slope``: never exactly 0, so a unit below zero still gets gradient."""
    return np.where(np.asarray(x) > 0, 1.0, slope)


# name -> (function, derivative with respect to its input); leaky ReLU with the default slope.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
}
