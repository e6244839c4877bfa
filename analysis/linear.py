"""Linear models fitted with numpy alone: ridge regression and L2-regularised logistic regression
(binary and multinomial), on dense matrices or on sparse rows of hashed features.

The ladder's model (:mod:`analysis.model`) is small and linear on purpose: it trains in seconds on a
user's own reviews, runs at thousands of reviews a second, and every weight can be inspected. These
are its solvers: conjugate gradients for ridge, L-BFGS for the logistic losses. They are
deterministic: the same data give the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class SparseRows:
    """Rows of hashed binary features, each row scaled to unit length (CSR without scipy).

    ``rows[i]`` lists the feature columns present in row ``i`` (duplicates count once).
    """

    indptr: IntArray
    indices: IntArray
    data: FloatArray
    width: int

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[int]], width: int) -> SparseRows:
        unique = [np.unique(np.asarray(row, dtype=np.int64)) for row in rows]
        lengths = np.array([len(row) for row in unique], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = np.concatenate(unique) if unique else np.zeros(0, dtype=np.int64)
        scale = np.repeat(1 / np.sqrt(np.maximum(lengths, 1)), lengths)
        return cls(indptr, indices.astype(np.int64), scale.astype(np.float64), width)

    @property
    def count(self) -> int:
        return len(self.indptr) - 1

    @property
    def row_ids(self) -> IntArray:
        return np.repeat(np.arange(self.count), np.diff(self.indptr))

    def dot(self, weights: FloatArray) -> FloatArray:
        """``X @ w``."""
        return np.bincount(
            self.row_ids, self.data * weights[self.indices], minlength=self.count
        ).astype(np.float64)

    def tdot(self, values: FloatArray) -> FloatArray:
        """``X.T @ v``."""
        return np.bincount(
            self.indices, self.data * values[self.row_ids], minlength=self.width
        ).astype(np.float64)

    def take(self, rows: Sequence[int] | IntArray) -> SparseRows:
        """A subset of the rows, in the order given."""
        picked = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[picked], self.indptr[picked + 1]
        lengths = ends - starts
        positions = (
            np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
            if len(picked)
            else np.zeros(0, dtype=np.int64)
        )
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return SparseRows(indptr, self.indices[positions], self.data[positions], self.width)


Matrix = FloatArray | SparseRows


def _dot(x: Matrix, w: FloatArray) -> FloatArray:
    return x.dot(w) if isinstance(x, SparseRows) else x @ w


def _tdot(x: Matrix, v: FloatArray) -> FloatArray:
    return x.tdot(v) if isinstance(x, SparseRows) else x.T @ v


def _width(x: Matrix) -> int:
    return x.width if isinstance(x, SparseRows) else int(x.shape[1])


def _count(x: Matrix) -> int:
    return x.count if isinstance(x, SparseRows) else int(x.shape[0])


def fit_ridge(
    x: Matrix,
    y: FloatArray,
    alpha: float,
    *,
    sample_weight: FloatArray | None = None,
    iterations: int = 500,
    tolerance: float = 1e-7,
) -> tuple[FloatArray, float]:
    """``(w, b)`` minimising ``Σ s·(x·w + b − y)² + alpha·|w|²`` (the intercept not penalised), by
    conjugate gradients on the normal equations."""
    y = np.asarray(y, dtype=np.float64)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    total = s.sum()
    width = _width(x)

    def apply(v: FloatArray) -> FloatArray:
        w, b = v[:width], v[width]
        residual = s * (_dot(x, w) + b)
        return np.concatenate([_tdot(x, residual) + alpha * w, [residual.sum()]])

    rhs = np.concatenate([_tdot(x, s * y), [float((s * y).sum())]])
    v = np.zeros(width + 1)
    v[width] = (s * y).sum() / total
    r = rhs - apply(v)
    p = r.copy()
    rs = float(r @ r)
    scale = float(rhs @ rhs) or 1.0
    for _ in range(iterations):
        if rs <= tolerance * tolerance * scale:
            break
        ap = apply(p)
        step = rs / float(p @ ap)
        v += step * p
        r -= step * ap
        new = float(r @ r)
        p = r + (new / rs) * p
        rs = new
    return v[:width], float(v[width])


def minimise(
    loss: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    *,
    iterations: int = 500,
    memory: int = 10,
    tolerance: float = 1e-6,
) -> FloatArray:
    """L-BFGS with a backtracking (Armijo) line search; ``loss`` returns the value and gradient."""
    x = start.astype(np.float64).copy()
    value, gradient = loss(x)
    steps: list[tuple[FloatArray, FloatArray, float]] = []
    for _ in range(iterations):
        if float(np.abs(gradient).max()) <= tolerance:
            break
        direction = -gradient
        alphas = []
        for s, y, rho in reversed(steps):
            a = rho * float(s @ direction)
            alphas.append(a)
            direction = direction - a * y
        if steps:
            s, y, _ = steps[-1]
            direction = direction * (float(s @ y) / float(y @ y))
        for (s, y, rho), a in zip(steps, reversed(alphas), strict=True):
            b = rho * float(y @ direction)
            direction = direction + s * (a - b)
        slope = float(gradient @ direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            steps.clear()
            direction, slope = -gradient, -float(gradient @ gradient)
        step = 1.0
        while True:
            candidate = x + step * direction
            new_value, new_gradient = loss(candidate)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step /= 2
        s_step, y_step = candidate - x, new_gradient - gradient
        curvature = float(s_step @ y_step)
        if curvature > 1e-12:
            steps.append((s_step, y_step, 1 / curvature))
            if len(steps) > memory:
                steps.pop(0)
        converged = abs(value - new_value) <= 1e-10 * max(1.0, abs(value))
        x, value, gradient = candidate, new_value, new_gradient
        if converged:
            break
    return x


def fit_logistic(
    x: Matrix,
    y: FloatArray,
    penalty: float,
    *,
    sample_weight: FloatArray | None = None,
    iterations: int = 500,
) -> tuple[FloatArray, float]:
    """``(w, b)`` of a binary logistic regression (``y`` in {0, 1}) minimising the weighted log
    loss plus ``penalty/2·|w|²``."""
    y = np.asarray(y, dtype=np.float64)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    width = _width(x)

    def loss(v: FloatArray) -> tuple[float, FloatArray]:
        z = _dot(x, v[:width]) + v[width]
        value = float(s @ (np.logaddexp(0, z) - y * z)) + penalty / 2 * float(v[:width] @ v[:width])
        error = s * (0.5 * (1 + np.tanh(z / 2)) - y)  # σ(z), without overflow
        gradient = np.concatenate([_tdot(x, error) + penalty * v[:width], [error.sum()]])
        return value, gradient

    v = minimise(loss, np.zeros(width + 1), iterations=iterations)
    return v[:width], float(v[width])


def fit_softmax(
    x: FloatArray,
    y: IntArray,
    classes: int,
    penalty: float,
    *,
    sample_weight: FloatArray | None = None,
    iterations: int = 1000,
) -> tuple[FloatArray, FloatArray]:
    """``(W, b)`` of a multinomial logistic regression on dense ``x`` (``y`` in 0…classes−1):
    ``W`` is classes × features."""
    n, width = x.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1

    def loss(v: FloatArray) -> tuple[float, FloatArray]:
        weights = v[: classes * width].reshape(classes, width)
        bias = v[classes * width :]
        z = x @ weights.T + bias
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -float((s[:, None] * onehot * log_p).sum()) + penalty / 2 * float(
            (weights * weights).sum()
        )
        error = s[:, None] * (np.exp(log_p) - onehot)
        gradient = np.concatenate([(error.T @ x + penalty * weights).ravel(), error.sum(axis=0)])
        return value, gradient

    v = minimise(loss, np.zeros(classes * width + classes), iterations=iterations)
    return v[: classes * width].reshape(classes, width), v[classes * width :]


def softmax(z: FloatArray) -> FloatArray:
    """Probabilities from scores, along the last axis."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    result: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return result


def logit(p: float) -> float:
    """``log(p / (1 − p))``, with ``p`` kept within [0.0001, 0.9999] (a probability of 0 or 1
    says no more than one of 0.0001 or 0.9999, and has no logit)."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))
