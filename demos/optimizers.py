"""Claim: Adam's first step has size lr whatever the scale of the gradient (1e-3 for a gradient of
1e-4 or of 1e4), because bias correction turns m/sqrt(v) into g/|g| on step 1; without the
correction the first step would be lr (1 - beta1) / sqrt(1 - beta2) = 3.16 lr. PyTorch's RMSprop has
no bias correction, so its first step is lr / sqrt(1 - alpha) = 10 lr. Under a constant gradient,
SGD with momentum 0.9 settles at steps of lr / (1 - momentum) = 10 lr (9.9997 lr after 100 steps),
while Adagrad's steps shrink as lr / sqrt(t) (0.1 lr at step 100).

Every update rule is torch.optim's, with its argument names, defaults and order of operations, so
``sgd_step(param, grad, state, lr=..., momentum=...)`` and the other ``*_step`` functions can be
compared against ``torch.optim.SGD`` and the rest one step at a time (``state`` uses torch's state keys):

- SGD (lr=1e-3 since PyTorch 2.2; earlier it was required): g += weight_decay * p; with momentum,
  b = g on the first step, then b = momentum * b + (1 - dampening) * g; nesterov uses g + momentum * b
  instead of b; p -= lr * that.
- Adagrad (lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
  g += weight_decay * p; clr = lr / (1 + (t - 1) lr_decay); sum += g^2; p -= clr g / (sqrt(sum) + eps).
- RMSprop (lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
  v = alpha v + (1 - alpha) g^2; centered subtracts the square of the running mean of g; eps is added
  after the square root; with momentum, b = momentum b + g / (sqrt(v) + eps) and p -= lr b.
- Adam (lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0 as L2 added to g, amsgrad=False):
  m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; p -= lr / (1 - beta1^t) * m /
  (sqrt(v) / sqrt(1 - beta2^t) + eps). amsgrad keeps the running maximum of v (before bias correction,
  as torch's code does) and uses it in place of v.
- AdamW (weight_decay=0.01 by default): p *= 1 - lr * weight_decay first, then the Adam step on the
  raw gradient.

The demo feeds the gradient sequence ``--grads`` (repeated to fill ``--steps`` steps, so ``1`` is a
constant gradient and ``1,-1`` alternates) to one scalar parameter per optimizer. All six share
``--lr`` and ``--weight-decay`` (L2 for the first five, decoupled for AdamW); ``sgd`` has no momentum,
``sgd_momentum`` uses ``--momentum``, ``--dampening`` and ``--nesterov``; RMSprop runs with momentum 0;
Adagrad keeps torch's eps of 1e-10 and the others take ``--eps``. In torch terms, for the defaults:
``p = torch.tensor([1.0], requires_grad=True); opt = torch.optim.Adam([p], lr=1e-3)``, then per step
``p.grad = torch.tensor([g]); opt.step()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "Optimizer update rules (torch.optim) on a gradient sequence",
    "summary": "Adam's first step is lr at any gradient scale (bias correction); momentum 0.9 steps 10 lr",
    "topics": ["optimization"],
    "params": {
        "grads": {"type": "floats", "default": [1.0], "min": -1e6, "max": 1e6,
                  "help": "gradient sequence, repeated to fill --steps (1: constant; 1,-1: alternating)"},
        "steps": {"type": "int", "default": 100, "min": 1, "max": 10000, "help": "optimizer steps"},
        "theta0": {"type": "float", "default": 1.0, "min": -1e6, "max": 1e6,
                   "help": "starting value of the scalar parameter"},
        "lr": {"type": "float", "default": 0.001, "min": 0.0, "max": 100.0,
               "help": "learning rate of every optimizer (torch: Adam/AdamW/SGD 1e-3, Adagrad/RMSprop 1e-2)"},
        "weight_decay": {"type": "float", "default": 0.0, "min": 0.0, "max": 10.0,
                         "help": "L2 added to the gradient (SGD, Adagrad, RMSprop, Adam); decoupled in AdamW"},
        "momentum": {"type": "float", "default": 0.9, "min": 0.0, "max": 0.999,
                     "help": "SGD momentum of sgd_momentum (torch default 0)"},
        "dampening": {"type": "float", "default": 0.0, "min": 0.0, "max": 1.0,
                      "help": "SGD dampening: b = momentum*b + (1-dampening)*g after step 1"},
        "nesterov": {"type": "flag", "default": False,
                     "help": "Nesterov momentum for sgd_momentum (needs momentum > 0, dampening 0)"},
        "lr_decay": {"type": "float", "default": 0.0, "min": 0.0, "max": 10.0,
                     "help": "Adagrad: lr / (1 + (t-1)*lr_decay) at step t"},
        "initial_accumulator_value": {"type": "float", "default": 0.0, "min": 0.0, "max": 1e6,
                                      "help": "Adagrad: starting value of the sum of squared gradients"},
        "alpha": {"type": "float", "default": 0.99, "min": 0.0, "max": 0.9999,
                  "help": "RMSprop smoothing constant of the squared-gradient average"},
        "centered": {"type": "flag", "default": False,
                     "help": "centred RMSprop: divide by an estimate of the gradient's variance"},
        "betas": {"type": "floats", "default": [0.9, 0.999], "min": 0.0, "max": 0.9999,
                  "help": "Adam/AdamW beta1,beta2: decay rates of the first and second moments"},
        "eps": {"type": "float", "default": 1e-08, "min": 1e-30, "max": 1.0,
                "help": "RMSprop/Adam/AdamW: added to the root of the second moment (Adagrad keeps 1e-10)"},
        "amsgrad": {"type": "flag", "default": False, "help": "AMSGrad variant of Adam and AdamW"},
    },
    "outputs": {
        "steps": "optimizer steps taken",
        "lr": "the shared learning rate",
        "grads": "the gradient fed at each step (the sequence repeated)",
        "optimizers": "names: sgd, sgd_momentum, adagrad, rmsprop, adam, adamw",
        "params": "per optimizer: the parameter before step 1 and after each step (steps + 1 values)",
        "updates": "per optimizer: the change of the parameter at each step",
        "first_step_over_lr": "per optimizer: |update of step 1| / lr",
        "last_step_over_lr": "per optimizer: |update of the last step| / lr",
        "adam_first_step": "|Adam's first update| (lr up to eps, for any gradient scale)",
        "adam_first_step_no_bias_correction": "what Adam's first update would be without bias correction",
        "bias_correction_gain": "(1 - beta1) / sqrt(1 - beta2): that uncorrected step over lr (3.16)",
        "rmsprop_first_step_theory": "lr |g1| / (sqrt(1 - alpha) |g1| + eps): RMSprop's first step (10 lr)",
        "momentum_gain_theory": "(1 - dampening) / (1 - momentum): steady-state step over lr for a constant gradient",
        "momentum_last_step_ratio": "last update of sgd_momentum / last update of sgd",
        "adagrad_last_step_theory": "Adagrad's step at the last step t if the gradient stayed g1: clr |g1| / sqrt(acc + t g1^2)",
        "final_param": "per optimizer: the parameter after the last step",
    },
}

ADAGRAD_EPS = 1e-10  # torch.optim.Adagrad's default eps; the other optimizers share --eps
NAMES = ("sgd", "sgd_momentum", "adagrad", "rmsprop", "adam", "adamw")


@dataclass(frozen=True)
class Optimizers:
    steps: int
    lr: float
    grads: np.ndarray
    optimizers: tuple[str, ...]
    params: dict
    updates: dict
    first_step_over_lr: dict
    last_step_over_lr: dict
    adam_first_step: float
    adam_first_step_no_bias_correction: float
    bias_correction_gain: float
    rmsprop_first_step_theory: float
    momentum_gain_theory: float
    momentum_last_step_ratio: float
    adagrad_last_step_theory: float
    final_param: dict


# ----- the update rules: one step each, pure (a new state dict is returned), torch.optim's conventions
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False):
    """One ``torch.optim.SGD`` step. Returns ``(new_param, new_state)``; ``state`` holds "momentum_buffer".

    Parameters
    ----------
    param, grad : array (any shape, the same for both), or float.
    state : dict or None (None: the first step).

    Notes
    -----
    :math:`g \\leftarrow g + \\lambda p`; with momentum :math:`\\mu`, :math:`b_1 = g` and
    :math:`b_t = \\mu b_{t-1} + (1-\\tau) g` (dampening :math:`\\tau` is not applied on step 1);
    the direction is :math:`g + \\mu b_t` (Nesterov) or :math:`b_t`; :math:`p \\leftarrow p - \\gamma\\,\\cdot`.
    """
    if nesterov and (momentum <= 0 or dampening != 0):
        raise DemoInputError(msg("Nesterov momentum requires a momentum > 0 and dampening 0 (as torch.optim.SGD)"))
    param, grad = _arrays(param, grad)
    state = dict(state or {})
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
        state["momentum_buffer"] = buf
        grad = grad + momentum * buf if nesterov else buf
    return param - lr * grad, state


def adagrad_step(param, grad, state=None, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
    """One ``torch.optim.Adagrad`` step; ``state`` holds "step" and "sum".

    Notes
    -----
    :math:`\\tilde\\gamma = \\gamma / (1 + (t-1)\\eta)`, :math:`s \\leftarrow s + g^2` (from
    ``initial_accumulator_value``), :math:`p \\leftarrow p - \\tilde\\gamma\\, g / (\\sqrt{s} + \\epsilon)`.
    """
    param, grad = _arrays(param, grad)
    state = dict(state or {})
    step = state.get("step", 0) + 1
    total = state.get("sum", np.full_like(param, initial_accumulator_value))
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    total = total + grad * grad
    state.update(step=step, sum=total)
    return param - clr * grad / (np.sqrt(total) + eps), state


def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
    """One ``torch.optim.RMSprop`` step; ``state`` holds "step", "square_avg", "momentum_buffer", "grad_avg".

    Notes
    -----
    :math:`v \\leftarrow \\alpha v + (1-\\alpha) g^2`; centred: :math:`\\bar g \\leftarrow \\alpha \\bar g +
    (1-\\alpha) g` and :math:`\\tilde v = v - \\bar g^2`; no bias correction, so with :math:`v_0 = 0` the first
    step is :math:`\\gamma / \\sqrt{1-\\alpha}` in size. eps is added after the square root.
    """
    param, grad = _arrays(param, grad)
    state = dict(state or {})
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad * grad
    state.update(step=state.get("step", 0) + 1, square_avg=square_avg)
    if centered:
        grad_avg = alpha * state.get("grad_avg", np.zeros_like(param)) + (1 - alpha) * grad
        state["grad_avg"] = grad_avg
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf = momentum * state.get("momentum_buffer", np.zeros_like(param)) + grad / avg
        state["momentum_buffer"] = buf
        return param - lr * buf, state
    return param - lr * grad / avg, state


def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    """One ``torch.optim.Adam`` step (weight_decay is an L2 term added to the gradient); ``state`` holds
    "step", "exp_avg", "exp_avg_sq" and, with amsgrad, "max_exp_avg_sq".

    Notes
    -----
    :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`, :math:`v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2`,
    :math:`p \\leftarrow p - \\frac{\\gamma}{1-\\beta_1^t}\\, m / (\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon)`.
    On step 1 :math:`m/(1-\\beta_1) = g` and :math:`\\sqrt{v/(1-\\beta_2)} = |g|`, so the step is
    :math:`\\gamma\\,|g|/(|g| + \\epsilon)`.
    """
    param, grad = _arrays(param, grad)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    return _adam_update(param, grad, dict(state or {}), lr, betas, eps, amsgrad)


def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    """One ``torch.optim.AdamW`` step: decoupled decay :math:`p \\leftarrow p(1 - \\gamma\\lambda)`, then the
    Adam step on the raw gradient (the decay never enters m or v)."""
    param, grad = _arrays(param, grad)
    param = param * (1 - lr * weight_decay)
    return _adam_update(param, grad, dict(state or {}), lr, betas, eps, amsgrad)


def _adam_update(param, grad, state, lr, betas, eps, amsgrad):
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    exp_avg = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * grad
    exp_avg_sq = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    state.update(step=step, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    second = exp_avg_sq
    if amsgrad:  # torch keeps the maximum of the raw v and bias-corrects it afterwards
        second = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(param)), exp_avg_sq)
        state["max_exp_avg_sq"] = second
    denom = np.sqrt(second) / math.sqrt(1 - beta2**step) + eps
    return param - lr / (1 - beta1**step) * exp_avg / denom, state


def _arrays(param, grad):
    return np.asarray(param, dtype=np.float64), np.asarray(grad, dtype=np.float64)


STEP_FUNCTIONS = {"sgd": sgd_step, "adagrad": adagrad_step, "rmsprop": rmsprop_step, "adam": adam_step,
                  "adamw": adamw_step}


def run_sequence(step_fn, grads, theta0, **hyper) -> np.ndarray:
    """Parameter values (len(grads) + 1) when ``step_fn`` is fed ``grads`` one by one from ``theta0``."""
    values = [float(theta0)]
    param, state = np.float64(theta0), None
    for g in grads:
        param, state = step_fn(param, g, state, **hyper)
        values.append(float(param))
    return np.array(values)


def configurations(lr, weight_decay, momentum, dampening, nesterov, lr_decay, initial_accumulator_value, alpha,
                   centered, betas, eps, amsgrad) -> dict:
    """The demo's six optimizers: name -> (step function, its keyword arguments)."""
    return {
        "sgd": (sgd_step, dict(lr=lr, weight_decay=weight_decay)),
        "sgd_momentum": (sgd_step, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                        nesterov=nesterov)),
        "adagrad": (adagrad_step, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                       initial_accumulator_value=initial_accumulator_value, eps=ADAGRAD_EPS)),
        "rmsprop": (rmsprop_step, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, centered=centered)),
        "adam": (adam_step, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)),
        "adamw": (adamw_step, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)),
    }


def compute(grads: tuple[float, ...] = (1.0,), steps: int = 100, theta0: float = 1.0, lr: float = 0.001,
            weight_decay: float = 0.0, momentum: float = 0.9, dampening: float = 0.0, nesterov: bool = False,
            lr_decay: float = 0.0, initial_accumulator_value: float = 0.0, alpha: float = 0.99,
            centered: bool = False, betas: tuple[float, ...] = (0.9, 0.999), eps: float = 1e-08,
            amsgrad: bool = False) -> Optimizers:
    """Run the six optimizers on the repeated gradient sequence; the step sizes the quiz cites.

    Notes
    -----
    The theory values assume weight_decay = 0 and use the first gradient g1 (|g1| >> eps).
    """
    if len(betas) != 2:
        raise DemoInputError(msg("--betas takes two numbers, beta1,beta2 (e.g. 0.9,0.999); got {count}", count=len(betas)))
    if nesterov and (momentum <= 0 or dampening != 0):
        raise DemoInputError(msg("--nesterov needs --momentum > 0 and --dampening 0 (as torch.optim.SGD)"))
    sequence = np.resize(np.asarray(grads, dtype=np.float64), steps)
    configs = configurations(lr, weight_decay, momentum, dampening, nesterov, lr_decay, initial_accumulator_value,
                             alpha, centered, tuple(betas), eps, amsgrad)
    with np.errstate(over="ignore", invalid="ignore"):
        params = {name: run_sequence(fn, sequence, theta0, **hyper) for name, (fn, hyper) in configs.items()}
    if not all(np.all(np.isfinite(values)) for values in params.values()):
        raise DemoInputError(msg("a parameter overflowed to inf; use a smaller --lr, --weight-decay or --grads"))
    updates = {name: np.diff(values) for name, values in params.items()}
    beta1, beta2 = betas
    g1 = abs(float(sequence[0]))
    clr = lr / (1 + (steps - 1) * lr_decay)
    return Optimizers(
        steps=steps,
        lr=lr,
        grads=sequence,
        optimizers=NAMES,
        params=params,
        updates=updates,
        first_step_over_lr={n: _ratio(abs(u[0]), lr) for n, u in updates.items()},
        last_step_over_lr={n: _ratio(abs(u[-1]), lr) for n, u in updates.items()},
        adam_first_step=abs(float(updates["adam"][0])),
        adam_first_step_no_bias_correction=lr * (1 - beta1) * g1 / (math.sqrt(1 - beta2) * g1 + eps),
        bias_correction_gain=(1 - beta1) / math.sqrt(1 - beta2),
        rmsprop_first_step_theory=lr * g1 / (math.sqrt(1 - alpha) * g1 + eps),
        momentum_gain_theory=(1 - dampening) / (1 - momentum),
        momentum_last_step_ratio=_ratio(float(updates["sgd_momentum"][-1]), float(updates["sgd"][-1])),
        adagrad_last_step_theory=clr * g1 / (math.sqrt(initial_accumulator_value + steps * g1 * g1) + ADAGRAD_EPS),
        final_param={n: float(v[-1]) for n, v in params.items()},
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 else math.nan


def render(result: Optimizers):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    first = bar_chart(_("first step, in units of lr"), result.optimizers,
                      [result.first_step_over_lr[n] for n in result.optimizers])
    last = bar_chart(_("step {steps}, in units of lr").format(steps=result.steps), result.optimizers,
                     [result.last_step_over_lr[n] for n in result.optimizers])
    theory = key_values(
        _("lr = {lr:g}, {steps} steps (theory for weight_decay 0)").format(lr=result.lr, steps=result.steps),
        [
            (_("Adam's first step"), f"{result.adam_first_step:.6g}"),
            (_("... without bias correction"), f"{result.adam_first_step_no_bias_correction:.6g}"),
            (_("RMSprop's first step"), f"{result.rmsprop_first_step_theory:.6g}"),
            (_("momentum gain (1-dampening)/(1-momentum)"), f"{result.momentum_gain_theory:.6g}"),
            (_("momentum / sgd, last step"), f"{result.momentum_last_step_ratio:.6g}"),
            (_("final parameter: sgd, adam, adamw"), ", ".join(f"{result.final_param[n]:.5g}"
                                                           for n in ("sgd", "adam", "adamw"))),
        ],
    )
    return Group(first, last, theory)
