"""Claim: on a quadratic with condition number kappa, gradient descent needs steps in proportion to
kappa (608 at kappa = 100, 61,028 at kappa = 10^4, lr = 1/L), SGD momentum 0.9 about ten times fewer
once kappa is large (6,054 at 10^4: its effective learning rate is lr / (1 - momentum)), and momentum
tuned to kappa (Polyak's heavy ball) in proportion to sqrt(kappa) (702 at 10^4). Adam rescales each coordinate by its own gradient history, so
when the valley is aligned with the axes its step count does not depend on kappa at all (266 steps
at kappa = 100 and at 10^4, lr = 0.01); rotate the same valley by 45 degrees and that advantage is
gone (3,250 steps at kappa = 100).

The loss is f(x) = x' H x / 2 with H = R diag(1, 1/kappa) R', R a rotation by ``--angle`` degrees:
the largest curvature L is 1, so ``--lr`` is in units of 1/L and plain GD is stable below 2. Each
optimizer starts at ``--start`` and counts the steps until ||x|| <= tol * ||x_0|| (the minimum is at
0). The optimizers are the torch.optim update rules of the ``optimizers`` demo: SGD with lr; SGD with
momentum and with Nesterov momentum (lr, momentum, torch's b = momentum * b + g; with momentum 0 the
Nesterov run is plain SGD, since torch refuses Nesterov without momentum); the heavy ball tuned
for kappa, SGD with lr = 4 / (1 + 1/sqrt(kappa))^2 and momentum ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2;
Adam with ``--adam-lr`` and torch's other defaults. Theory: GD contracts the error by
max |1 - lr * lambda| per step; the tuned GD and heavy-ball rates are (kappa - 1) / (kappa + 1) and
(sqrt(kappa) - 1) / (sqrt(kappa) + 1), so tuned momentum needs about sqrt(kappa) times fewer steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos.optimizers import adam_step, sgd_step
from mlquiz.errors import DemoInputError

META = {
    "title": "SGD, momentum and Adam on an ill-conditioned quadratic",
    "summary": "GD steps grow like kappa, tuned momentum like sqrt(kappa); Adam ignores kappa only if axis-aligned",
    "topics": ["optimization"],
    "params": {
        "kappa": {"type": "float", "default": 100.0, "min": 1.0, "max": 100000.0,
                  "help": "condition number: curvatures 1 and 1/kappa"},
        "angle": {"type": "float", "default": 0.0, "min": -90.0, "max": 90.0,
                  "help": "rotation of the valley's axes from the coordinate axes, in degrees"},
        "start": {"type": "floats", "default": [1.0, 0.5], "min": -1000.0, "max": 1000.0,
                  "help": "starting point x0,y0 (the minimum is at 0,0)"},
        "lr": {"type": "float", "default": 1.0, "min": 0.0, "max": 10.0,
               "help": "SGD learning rate, in units of 1/L (L = 1); GD diverges above 2"},
        "momentum": {"type": "float", "default": 0.9, "min": 0.0, "max": 0.999,
                     "help": "momentum of the momentum and Nesterov runs (torch.optim.SGD convention)"},
        "adam_lr": {"type": "float", "default": 0.01, "min": 1e-06, "max": 10.0,
                    "help": "Adam's learning rate (betas 0.9, 0.999 and eps 1e-8, torch's defaults)"},
        "tol": {"type": "float", "default": 0.001, "min": 1e-12, "max": 0.5,
                "help": "converged when the distance to the minimum is tol times the starting distance"},
        "max_steps": {"type": "int", "default": 100000, "min": 1, "max": 1000000,
                      "help": "give up after this many steps"},
    },
    "outputs": {
        "kappa": "the condition number",
        "angle": "the rotation in degrees",
        "hessian": "H, 2x2",
        "optimizers": "names: sgd, sgd_momentum, nesterov, heavy_ball_tuned, adam",
        "steps": "per optimizer: steps until ||x|| <= tol ||x0|| (null: not within max_steps or diverged)",
        "diverged": "per optimizer: true if the iterates blew up",
        "final_distance": "per optimizer: ||x|| / ||x0|| when it stopped",
        "loss_curves": "per optimizer: f(x) at steps 0, 1, ... (at most the first 500)",
        "trajectories": "per optimizer: the points x at steps 0, 1, ... (at most the first 500)",
        "gd_rate": "max over the eigenvalues of |1 - lr * lambda|: GD's error contraction per step",
        "momentum_rate": "spectral radius of SGD momentum's iteration (per-step contraction)",
        "tuned_gd_rate": "(kappa - 1) / (kappa + 1): GD with its best step 2 / (L + mu)",
        "tuned_momentum_rate": "(sqrt(kappa) - 1) / (sqrt(kappa) + 1): Polyak's tuned heavy ball",
        "tuned_lr": "heavy_ball_tuned's lr, 4 / (1 + 1/sqrt(kappa))^2",
        "tuned_momentum": "heavy_ball_tuned's momentum, ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2",
        "tuned_speedup": "ln(tuned_momentum_rate) / ln(tuned_gd_rate): how many times fewer steps (~sqrt(kappa))",
        "momentum_speedup": "steps of sgd over steps of sgd_momentum (null if either did not converge)",
    },
}

RECORD_STEPS = 500  # loss and trajectory points kept per optimizer: the early phase, where they differ
BLOW_UP = 1e6  # a distance this many times the start counts as diverged
NAMES = ("sgd", "sgd_momentum", "nesterov", "heavy_ball_tuned", "adam")


@dataclass(frozen=True)
class IllConditioned:
    kappa: float
    angle: float
    hessian: np.ndarray
    optimizers: tuple[str, ...]
    steps: dict
    diverged: dict
    final_distance: dict
    loss_curves: dict
    trajectories: dict
    gd_rate: float
    momentum_rate: float
    tuned_gd_rate: float
    tuned_momentum_rate: float
    tuned_lr: float
    tuned_momentum: float
    tuned_speedup: float
    momentum_speedup: float | None


def hessian(kappa: float, angle: float) -> np.ndarray:
    """H = R diag(1, 1/kappa) R' for a rotation R by ``angle`` degrees; (2, 2)."""
    a = math.radians(angle)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return rotation @ np.diag([1.0, 1.0 / kappa]) @ rotation.T


def heavy_ball_rate(lr: float, momentum: float, eigenvalues) -> float:
    """Spectral radius of p_{t+1} = p_t - lr g_t + momentum (p_t - p_{t-1}) on curvatures ``eigenvalues``.

    Notes
    -----
    Per eigen-direction the iteration matrix is [[1 + momentum - lr*lam, -momentum], [1, 0]]; torch's
    SGD momentum (b = momentum b + g, p -= lr b) is exactly this recursion. momentum = 0 gives |1 - lr lam|.
    """
    radius = 0.0
    for lam in eigenvalues:
        matrix = np.array([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]])
        radius = max(radius, float(np.max(np.abs(np.linalg.eigvals(matrix)))))
    return radius


def race(step_fn, hyper: dict, H: np.ndarray, start: np.ndarray, tol: float, max_steps: int):
    """Run one optimizer on f = x'Hx/2: (steps to tol or None, diverged, final distance ratio, losses, points)."""
    x, state = start.copy(), None
    d0 = float(np.linalg.norm(start))
    losses, points = [0.5 * float(x @ H @ x)], [x.copy()]
    for t in range(1, max_steps + 1):
        x, state = step_fn(x, H @ x, state, **hyper)
        if t <= RECORD_STEPS:
            losses.append(0.5 * float(x @ H @ x))
            points.append(x.copy())
        distance = float(np.linalg.norm(x))
        if not math.isfinite(distance) or distance > BLOW_UP * d0:
            return None, True, math.inf, losses, points
        if distance <= tol * d0:
            return t, False, distance / d0, losses, points
    return None, False, distance / d0, losses, points


def compute(kappa: float = 100.0, angle: float = 0.0, start: tuple[float, ...] = (1.0, 0.5), lr: float = 1.0,
            momentum: float = 0.9, adam_lr: float = 0.01, tol: float = 0.001,
            max_steps: int = 100000) -> IllConditioned:
    """Race five optimizers to the minimum of the rotated quadratic; rates from the iteration matrices."""
    from mlquiz.i18n import msg

    if len(start) != 2:
        raise DemoInputError(msg("--start takes two numbers, x0,y0 (e.g. 1,0.5); got {count}", count=len(start)))
    x0 = np.asarray(start, dtype=np.float64)
    if not np.any(x0):
        raise DemoInputError(msg("--start is the minimum itself; start elsewhere, e.g. 1,0.5"))
    H = hessian(kappa, angle)
    root = math.sqrt(kappa)
    tuned_lr = 4 / (1 + 1 / root) ** 2
    tuned_momentum = ((root - 1) / (root + 1)) ** 2
    configs = {
        "sgd": (sgd_step, dict(lr=lr)),
        "sgd_momentum": (sgd_step, dict(lr=lr, momentum=momentum)),
        "nesterov": (sgd_step, dict(lr=lr, momentum=momentum, nesterov=True)) if momentum > 0 else (sgd_step,
                                                                                                  dict(lr=lr)),
        "heavy_ball_tuned": (sgd_step, dict(lr=tuned_lr, momentum=tuned_momentum)),
        "adam": (adam_step, dict(lr=adam_lr)),
    }
    runs = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, (fn, hyper) in configs.items():
            runs[name] = race(fn, hyper, H, x0, tol, max_steps)
    steps = {n: r[0] for n, r in runs.items()}
    eigenvalues = (1.0, 1.0 / kappa)
    tuned_gd_rate = (kappa - 1) / (kappa + 1)
    tuned_momentum_rate = (root - 1) / (root + 1)
    return IllConditioned(
        kappa=kappa,
        angle=angle,
        hessian=H,
        optimizers=NAMES,
        steps=steps,
        diverged={n: r[1] for n, r in runs.items()},
        final_distance={n: r[2] for n, r in runs.items()},
        loss_curves={n: np.array(r[3]) for n, r in runs.items()},
        trajectories={n: np.array(r[4]) for n, r in runs.items()},
        gd_rate=max(abs(1 - lr * lam) for lam in eigenvalues),
        momentum_rate=heavy_ball_rate(lr, momentum, eigenvalues),
        tuned_gd_rate=tuned_gd_rate,
        tuned_momentum_rate=tuned_momentum_rate,
        tuned_lr=tuned_lr,
        tuned_momentum=tuned_momentum,
        tuned_speedup=math.log(tuned_momentum_rate) / math.log(tuned_gd_rate) if kappa > 1 else 1.0,
        momentum_speedup=(steps["sgd"] / steps["sgd_momentum"]
                          if steps["sgd"] and steps["sgd_momentum"] else None),
    )


def render(result: IllConditioned):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    labels = [_("{name} (diverged)").format(name=n) if result.diverged[n] else n for n in result.optimizers]
    chart = bar_chart(_("steps to the minimum, kappa = {kappa:g}, angle {angle:g} deg (log scale)").format(
                          kappa=result.kappa, angle=result.angle),
                      labels, [result.steps[n] for n in result.optimizers], log=True, value_format="{:,}")
    rates = key_values(
        _("error contraction per step (closer to 1 is slower)"),
        [
            (_("GD at this lr"), f"{result.gd_rate:.6g}"),
            (_("SGD momentum at this lr"), f"{result.momentum_rate:.6g}"),
            (_("GD, best lr: (k-1)/(k+1)"), f"{result.tuned_gd_rate:.6g}"),
            (_("tuned heavy ball: (sqrt k-1)/(sqrt k+1)"), f"{result.tuned_momentum_rate:.6g}"),
            (_("tuned speedup (~ sqrt kappa)"), f"{result.tuned_speedup:.4g}"),
        ],
    )
    return Group(chart, rates)
