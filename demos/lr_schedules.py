"""Claim: the torch.optim.lr_scheduler schedules are simple closed forms of the epoch number. From
base_lr 0.1 over 100 epochs: StepLR(step_size=30) gives 0.001 at epoch 60; MultiStepLR([30, 80])
0.01 at epoch 50; ExponentialLR(0.95) 0.1 * 0.95**e (0.0599 at epoch 10); CosineAnnealingLR(T_max=100)
reaches half of base_lr at epoch 50; CosineAnnealingWarmRestarts(T_0=10, T_mult=2) jumps back to
base_lr at epochs 10, 30 and 70; LinearLR warm-up (start_factor 1/3, total_iters 5) climbs from
0.0333 to 0.1 at epoch 5; OneCycleLR(max_lr=0.1, total_steps=100) starts at max_lr / 25 = 0.004,
peaks at max_lr at step pct_start * total_steps - 1 = 29 and ends at 0.004 / 1e4 = 4e-7.

Conventions are PyTorch's: a scheduler sets lr for epoch 0 when it is built, and each
``scheduler.step()`` (called after the epoch's ``optimizer.step()`` calls) moves it to the next
epoch, so ``lr[e]`` is the learning rate used during epoch e (0-based; for OneCycleLR, batch e).
Closed forms, with e the epoch:

- StepLR: base * gamma^floor(e / step_size)
- MultiStepLR: base * gamma^(number of milestones <= e)
- ExponentialLR: base * gamma^e (``--exp-gamma``)
- CosineAnnealingLR: eta_min + (base - eta_min)(1 + cos(pi e / T_max)) / 2 (past T_max it rises again:
  torch does not clamp it)
- CosineAnnealingWarmRestarts: the same with e replaced by T_cur, the epochs since the last restart,
  and T_max by T_i = T_0 * T_mult^(restarts so far), as ``step()`` without an epoch argument counts them
- LinearLR: base * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)
- OneCycleLR (two phases, three_phase False): initial_lr = max_lr / div_factor, min_lr = initial_lr /
  final_div_factor; steps 0 .. pct_start * total_steps - 1 anneal initial_lr -> max_lr, then on to
  min_lr at step total_steps - 1, by cos (end + (start - end)(1 + cos(pi pct)) / 2) or linearly;
  three_phase goes initial -> max -> initial (ending at step 2 pct_start total_steps - 2) -> min.
  OneCycleLR ignores base_lr: it sets the optimizer's lr itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Learning-rate schedules (torch.optim.lr_scheduler)",
    "summary": "StepLR, MultiStepLR, ExponentialLR, cosine (with restarts), LinearLR warm-up, OneCycleLR per epoch",
    "topics": ["optimization"],
    "params": {
        "base_lr": {"type": "float", "default": 0.1, "min": 0.0, "max": 100.0,
                    "help": "the optimizer's lr, the schedules' starting point (not used by OneCycleLR)"},
        "epochs": {"type": "int", "default": 100, "min": 1, "max": 100000, "help": "epochs to tabulate"},
        "step_size": {"type": "int", "default": 30, "min": 1, "max": 100000, "help": "StepLR: decay period"},
        "gamma": {"type": "float", "default": 0.1, "min": 0.0, "max": 1.0,
                  "help": "StepLR and MultiStepLR: decay factor (torch default 0.1)"},
        "milestones": {"type": "floats", "default": [30.0, 80.0], "min": 0.0, "max": 100000.0,
                       "help": "MultiStepLR: increasing whole epochs at which lr is multiplied by gamma"},
        "exp_gamma": {"type": "float", "default": 0.95, "min": 0.0, "max": 1.0,
                      "help": "ExponentialLR's gamma: lr multiplied by it every epoch"},
        "T_max": {"type": "int", "default": 100, "min": 1, "max": 100000,
                  "help": "CosineAnnealingLR: epochs from base_lr down to eta_min"},
        "eta_min": {"type": "float", "default": 0.0, "min": 0.0, "max": 100.0,
                    "help": "CosineAnnealingLR and CosineAnnealingWarmRestarts: the lowest lr"},
        "T_0": {"type": "int", "default": 10, "min": 1, "max": 100000,
                "help": "CosineAnnealingWarmRestarts: epochs until the first restart"},
        "T_mult": {"type": "int", "default": 2, "min": 1, "max": 100,
                   "help": "CosineAnnealingWarmRestarts: each cycle is T_mult times longer"},
        "start_factor": {"type": "float", "default": 0.3333333333333333, "min": 1e-06, "max": 1.0,
                         "help": "LinearLR: lr factor at epoch 0 (torch default 1/3)"},
        "end_factor": {"type": "float", "default": 1.0, "min": 0.0, "max": 1.0,
                       "help": "LinearLR: lr factor from total_iters on"},
        "total_iters": {"type": "int", "default": 5, "min": 1, "max": 100000,
                        "help": "LinearLR: epochs of the linear ramp"},
        "max_lr": {"type": "float", "default": 0.1, "min": 0.0, "max": 100.0, "help": "OneCycleLR: peak lr"},
        "total_steps": {"type": "int", "default": 100, "min": 2, "max": 100000,
                        "help": "OneCycleLR: steps in the cycle (batches, if stepped per batch)"},
        "pct_start": {"type": "float", "default": 0.3, "min": 0.0, "max": 1.0,
                      "help": "OneCycleLR: fraction of the cycle spent raising lr"},
        "anneal_strategy": {"type": "choice", "default": "cos", "choices": ["cos", "linear"],
                            "help": "OneCycleLR: shape of each phase"},
        "div_factor": {"type": "float", "default": 25.0, "min": 1.0, "max": 1e6,
                       "help": "OneCycleLR: initial_lr = max_lr / div_factor"},
        "final_div_factor": {"type": "float", "default": 10000.0, "min": 1.0, "max": 1e9,
                             "help": "OneCycleLR: min_lr = initial_lr / final_div_factor"},
        "three_phase": {"type": "flag", "default": False,
                        "help": "OneCycleLR: up, back down to initial_lr, then to min_lr"},
        "chart": {"type": "choice", "default": "one_cycle_lr",
                  "choices": ["step_lr", "multi_step_lr", "exponential_lr", "cosine_annealing_lr",
                              "cosine_warm_restarts", "linear_lr", "one_cycle_lr"],
                  "help": "which schedule the bar chart draws (all are computed)"},
    },
    "outputs": {
        "epochs": "epochs tabulated",
        "step_lr": "StepLR's lr for epochs 0 .. epochs-1",
        "multi_step_lr": "MultiStepLR's lr per epoch",
        "exponential_lr": "ExponentialLR's lr per epoch",
        "cosine_annealing_lr": "CosineAnnealingLR's lr per epoch",
        "cosine_warm_restarts": "CosineAnnealingWarmRestarts's lr per epoch",
        "restart_epochs": "epochs at which CosineAnnealingWarmRestarts is back at base_lr (after epoch 0)",
        "warm_restarts_T_cur": "CosineAnnealingWarmRestarts's T_cur per epoch: epochs since the last restart",
        "warm_restarts_T_i": "CosineAnnealingWarmRestarts's T_i per epoch: the length of the current cycle",
        "linear_lr": "LinearLR's lr per epoch",
        "one_cycle_lr": "OneCycleLR's lr for steps 0 .. total_steps-1",
        "one_cycle_initial_lr": "max_lr / div_factor: OneCycleLR's first lr",
        "one_cycle_min_lr": "initial_lr / final_div_factor: OneCycleLR's last lr",
        "one_cycle_peak_step": "pct_start * total_steps - 1: where phase 1 ends (lr = max_lr if it is whole)",
        "one_cycle_argmax": "the step with the largest OneCycleLR lr",
        "chart": "the schedule drawn",
    },
}

CHART_ROWS = 20  # at most this many bar-chart rows (every 5th epoch at the defaults); fits the screen
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 44  # characters per sparkline beside the names in 80 columns


@dataclass(frozen=True)
class LrSchedules:
    epochs: int
    step_lr: np.ndarray
    multi_step_lr: np.ndarray
    exponential_lr: np.ndarray
    cosine_annealing_lr: np.ndarray
    cosine_warm_restarts: np.ndarray
    restart_epochs: tuple[int, ...]
    warm_restarts_T_cur: np.ndarray
    warm_restarts_T_i: np.ndarray
    linear_lr: np.ndarray
    one_cycle_lr: np.ndarray
    one_cycle_initial_lr: float
    one_cycle_min_lr: float
    one_cycle_peak_step: float
    one_cycle_argmax: int
    chart: str


# ----- closed forms; ``epoch`` is an int array of epochs (0 = the lr set when the scheduler is built)
def step_lr(epoch, base_lr, step_size, gamma=0.1):
    """torch.optim.lr_scheduler.StepLR: base_lr * gamma ** (epoch // step_size)."""
    return base_lr * gamma ** (np.asarray(epoch) // step_size)


def multi_step_lr(epoch, base_lr, milestones, gamma=0.1):
    """MultiStepLR: base_lr * gamma ** (milestones passed), bisect_right as torch's closed form."""
    passed = np.searchsorted(np.sort(np.asarray(milestones)), np.asarray(epoch), side="right")
    return base_lr * gamma**passed


def exponential_lr(epoch, base_lr, gamma):
    """ExponentialLR: base_lr * gamma ** epoch."""
    return base_lr * gamma ** np.asarray(epoch, dtype=np.float64)


def cosine_annealing_lr(epoch, base_lr, T_max, eta_min=0.0):
    """CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * np.asarray(epoch) / T_max)) / 2


def cosine_warm_restarts(epochs, base_lr, T_0, T_mult=1, eta_min=0.0):
    """CosineAnnealingWarmRestarts for epochs 0 .. epochs-1, counted as ``step()`` counts them.

    Notes
    -----
    T_cur starts at 0 and T_i at T_0; each step adds 1 to T_cur, and when T_cur reaches T_i it
    wraps to 0 (a restart: lr = base_lr) and T_i is multiplied by T_mult.
    """
    T_cur, T_i = warm_restart_counters(epochs, T_0, T_mult)
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * T_cur / T_i)) / 2


def warm_restart_counters(epochs, T_0, T_mult=1):
    """(T_cur, T_i) per epoch, as CosineAnnealingWarmRestarts.step() updates them; int arrays (epochs,)."""
    currents, lengths, T_cur, T_i = [], [], 0, T_0
    for _ in range(epochs):
        currents.append(T_cur)
        lengths.append(T_i)
        T_cur += 1
        if T_cur >= T_i:
            T_cur -= T_i
            T_i *= T_mult
    return np.array(currents), np.array(lengths)


def linear_lr(epoch, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """LinearLR: base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)."""
    e = np.minimum(np.asarray(epoch, dtype=np.float64), total_iters)
    return base_lr * (start_factor + (end_factor - start_factor) * e / total_iters)


def one_cycle_lr(step, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos", div_factor=25.0,
                 final_div_factor=1e4, three_phase=False):
    """OneCycleLR's lr at each of ``step`` (ints 0 .. total_steps), phase by phase as torch's get_lr.

    Notes
    -----
    Phases end at (float) steps pct_start*total_steps - 1 and total_steps - 1 (three_phase adds
    2*pct_start*total_steps - 2 between); within a phase pct = (step - start) / (end - start).
    """
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    up = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [(up, initial, max_lr), (float(2 * pct_start * total_steps) - 2, max_lr, initial),
                  (total_steps - 1, initial, minimum)]
    else:
        phases = [(up, initial, max_lr), (total_steps - 1, max_lr, minimum)]
    from mlquiz.i18n import _

    anneal = _anneal_cos if anneal_strategy == "cos" else _anneal_linear
    out = []
    for s in np.atleast_1d(step):
        if s > total_steps:
            raise DemoInputError(_("OneCycleLR was stepped {s} times; total_steps is {total_steps}").format(
                s=s, total_steps=total_steps))
        start_step = 0.0
        for i, (end_step, start_lr, end_lr) in enumerate(phases):
            if s <= end_step or i == len(phases) - 1:
                if end_step == start_step:  # torch would divide by zero here
                    raise DemoInputError(_("OneCycleLR's phase {phase} has no steps (pct_start * total_steps = "
                                           "{steps:g}); change --pct-start or --total-steps").format(
                        phase=i + 1, steps=pct_start * total_steps))
                out.append(anneal(start_lr, end_lr, (s - start_step) / (end_step - start_step)))
                break
            start_step = end_step
    return np.array(out)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


def _check_milestones(milestones):
    from mlquiz.i18n import _

    if any(not float(m).is_integer() for m in milestones):
        raise DemoInputError(_("--milestones {milestones}: use whole epochs, e.g. 30,80").format(
            milestones=", ".join(f"{m:g}" for m in milestones)))
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise DemoInputError(_("--milestones must be increasing, e.g. 30,80 (as torch.optim.lr_scheduler.MultiStepLR)"))


def compute(base_lr: float = 0.1, epochs: int = 100, step_size: int = 30, gamma: float = 0.1,
            milestones: tuple[float, ...] = (30.0, 80.0), exp_gamma: float = 0.95, T_max: int = 100,
            eta_min: float = 0.0, T_0: int = 10, T_mult: int = 2, start_factor: float = 0.3333333333333333,
            end_factor: float = 1.0, total_iters: int = 5, max_lr: float = 0.1, total_steps: int = 100,
            pct_start: float = 0.3, anneal_strategy: str = "cos", div_factor: float = 25.0,
            final_div_factor: float = 10000.0, three_phase: bool = False,
            chart: str = "one_cycle_lr") -> LrSchedules:
    """Every schedule's lr for epochs 0 .. epochs-1 (OneCycleLR: steps 0 .. total_steps-1)."""
    _check_milestones(milestones)
    e = np.arange(epochs)
    warm = cosine_warm_restarts(epochs, base_lr, T_0, T_mult, eta_min)
    T_cur, T_i = warm_restart_counters(epochs, T_0, T_mult)
    cycle = one_cycle_lr(np.arange(total_steps), max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                         final_div_factor, three_phase)
    initial = max_lr / div_factor
    return LrSchedules(
        epochs=epochs,
        step_lr=step_lr(e, base_lr, step_size, gamma),
        multi_step_lr=multi_step_lr(e, base_lr, [int(m) for m in milestones], gamma),
        exponential_lr=exponential_lr(e, base_lr, exp_gamma),
        cosine_annealing_lr=cosine_annealing_lr(e, base_lr, T_max, eta_min),
        cosine_warm_restarts=warm,
        restart_epochs=tuple(int(e) for e in np.nonzero(T_cur[1:] == 0)[0] + 1),
        warm_restarts_T_cur=T_cur,
        warm_restarts_T_i=T_i,
        linear_lr=linear_lr(e, base_lr, start_factor, end_factor, total_iters),
        one_cycle_lr=cycle,
        one_cycle_initial_lr=initial,
        one_cycle_min_lr=initial / final_div_factor,
        one_cycle_peak_step=float(pct_start * total_steps) - 1,
        one_cycle_argmax=int(np.argmax(cycle)),
        chart=chart,
    )


def sparkline(values, width: int = SPARK_WIDTH) -> str:
    """One character per sampled value, ▁ (the lowest) to █ (the highest)."""
    values = np.asarray(values, dtype=np.float64)
    picks = values[np.linspace(0, len(values) - 1, min(width, len(values))).round().astype(int)]
    low, high = float(np.min(picks)), float(np.max(picks))
    span = (high - low) or 1.0
    return "".join(SPARK[round((len(SPARK) - 1) * (v - low) / span)] for v in picks)


def render(result: LrSchedules):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    names = ["step_lr", "multi_step_lr", "exponential_lr", "cosine_annealing_lr", "cosine_warm_restarts",
             "linear_lr", "one_cycle_lr"]
    shapes = key_values(_("lr over {epochs} epochs (one_cycle_lr: over its steps)").format(epochs=result.epochs),
                        [(name, sparkline(getattr(result, name))) for name in names])
    series = getattr(result, result.chart)
    rows = range(0, len(series), math.ceil(len(series) / CHART_ROWS))
    label = _("step {i}") if result.chart == "one_cycle_lr" else _("epoch {i}")
    chart = bar_chart(result.chart, [label.format(i=i) for i in rows], [float(series[i]) for i in rows])
    return Group(shapes, chart)
