"""Claim: early stopping with patience p stops at the end of the p-th epoch in a row that fails to
improve on the best loss so far, so the last epoch trained is the best epoch + p (best + 1 when
p = 0), and a later, better epoch is never seen. Without restore_best_weights the model keeps the
weights of that last epoch, not of the best one.

Conventions (Keras ``EarlyStopping(monitor="val_loss", mode="min")``): an epoch improves when
its loss < best - min_delta (best starts at +inf, so epoch 1 always improves); the count of epochs
without improvement resets to 0 on an improvement and training stops once it reaches ``patience``
(patience 0 stops at the first epoch that does not improve). Epochs are numbered from 1 as Keras
prints them ("Epoch 5: early stopping"); its ``stopped_epoch`` attribute counts from 0. The
comparison is exact on the numbers as written, so a drop of exactly min_delta never counts
(float arithmetic may round such a tie either way). restore_best_weights: Keras 3 restores the
best epoch's weights at the end of training whether or not it stopped early; tf.keras 2.x
restored them only when it stopped early. Expected at the defaults (losses 1.0, 0.8, 0.7, 0.72,
0.71, 0.69, 0.75, 0.8, patience 2): best epoch 3 (0.7), stop after epoch 5, so epoch 6's 0.69 is
never reached; with patience 3 the run goes through all 8 epochs and the best is epoch 6.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

META = {
    "title": "Early stopping with patience over given validation losses",
    "summary": "Keras EarlyStopping on losses you give: stopped epoch = best + patience, best epoch, restored weights",
    "topics": ["regularization", "fundamentals"],
    "params": {
        "losses": {"type": "floats", "default": "1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.8",
                   "min": -1000000000.0, "max": 1000000000.0,
                   "help": "validation loss after each epoch, epoch 1 first (what val_loss would log)"},
        "patience": {"type": "int", "default": 2, "min": 0, "max": 1000,
                     "help": "epochs without improvement after which training stops (Keras's default is 0)"},
        "min_delta": {"type": "float", "default": 0.0, "min": 0.0, "max": 1000000.0,
                      "help": "an epoch improves only when its loss < best - min_delta (Keras; it takes |min_delta|)"},
    },
    "outputs": {
        "losses": "the validation losses given, epoch 1 first",
        "epochs_given": "number of losses given (the epochs training would run without early stopping)",
        "patience": "the patience",
        "min_delta": "the min_delta",
        "stopped_epoch": "the last epoch trained, counted from 1 (the one Keras reports as 'early stopping')",
        "stopped_early": "true when the patience ran out (Keras set stop_training), possibly at the last given epoch",
        "epochs_not_trained": "given epochs that were never run",
        "best_epoch": "the epoch with the best loss among those trained, counted from 1",
        "best_loss": "its loss",
        "epochs_without_improvement": "epochs without improvement counted at the end (when it stopped early: "
                                      "the patience, or 1 for patience 0)",
        "improved": "one entry per trained epoch: true if it improved on the best so far by more than min_delta",
        "wait": "one entry per trained epoch: epochs without improvement after it",
        "final_loss": "loss of the last trained epoch: whose weights the model keeps without restore_best_weights",
        "restored_epoch": "epoch whose weights the model ends with under restore_best_weights=True (Keras 3: the best)",
        "restored_epoch_tf_keras2": "the same in tf.keras 2.x: the best epoch only if it stopped early, else the last",
        "lowest_given_epoch": "epoch of the lowest loss among all given, trained or not",
        "lowest_given_loss": "that loss (lower than best_loss when stopping came too early)",
    },
}


@dataclass(frozen=True)
class EarlyStopping:
    losses: tuple[float, ...]
    epochs_given: int
    patience: int
    min_delta: float
    stopped_epoch: int
    stopped_early: bool
    epochs_not_trained: int
    best_epoch: int
    best_loss: float
    epochs_without_improvement: int
    improved: tuple[bool, ...]
    wait: tuple[int, ...]
    final_loss: float
    restored_epoch: int
    restored_epoch_tf_keras2: int
    lowest_given_epoch: int
    lowest_given_loss: float


def _exact(number: float) -> Fraction:
    """The decimal a person typed (0.7, not 0.6999999999999999556): ties with min_delta are decided exactly."""
    return Fraction(repr(number))


def run(losses: tuple[float, ...], patience: int, min_delta: float) -> tuple[list[bool], list[int], int, bool]:
    """Keras's loop: per trained epoch whether it improved and the wait after it; the best epoch (from 1);
    and whether the patience ran out.

    Notes
    -----
    As ``EarlyStopping.on_epoch_end``: ``wait += 1``; an improvement (loss < best - min_delta) resets
    wait to 0; otherwise training stops once ``wait >= patience``.
    """
    best, best_epoch, wait = None, 0, 0
    improved, waits = [], []
    delta = _exact(min_delta)
    for epoch, loss in enumerate(losses, start=1):
        wait += 1
        better = best is None or _exact(loss) < _exact(best) - delta
        if better:
            best, best_epoch, wait = loss, epoch, 0
        improved.append(better)
        waits.append(wait)
        if not better and wait >= patience:
            return improved, waits, best_epoch, True
    return improved, waits, best_epoch, False


def compute(losses: tuple[float, ...] = (1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.8), patience: int = 2,
            min_delta: float = 0.0) -> EarlyStopping:
    """Run Keras's early-stopping rule over ``losses`` (one per epoch)."""
    improved, waits, best_epoch, stopped_early = run(losses, patience, min_delta)
    stopped = len(improved)
    lowest = min(range(len(losses)), key=lambda k: losses[k])  # the first of equal lows
    return EarlyStopping(
        losses=tuple(losses),
        epochs_given=len(losses),
        patience=patience,
        min_delta=min_delta,
        stopped_epoch=stopped,
        stopped_early=stopped_early,
        epochs_not_trained=len(losses) - stopped,
        best_epoch=best_epoch,
        best_loss=losses[best_epoch - 1],
        epochs_without_improvement=waits[-1],
        improved=tuple(improved),
        wait=tuple(waits),
        final_loss=losses[stopped - 1],
        restored_epoch=best_epoch,
        restored_epoch_tf_keras2=best_epoch if stopped_early else stopped,
        lowest_given_epoch=lowest + 1,
        lowest_given_loss=losses[lowest],
    )


def render(result: EarlyStopping):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    stopped = _("{epoch} (patience ran out)") if r.stopped_early else _("{epoch} (all given epochs)")
    summary = key_values(
        _("patience {patience}, min_delta {min_delta:g}, {epochs} epochs given").format(
            patience=r.patience, min_delta=r.min_delta, epochs=r.epochs_given),
        [(_("stopped after epoch"), stopped.format(epoch=r.stopped_epoch)),
         (_("best epoch, loss"), f"{r.best_epoch}, {r.best_loss:g}"),
         (_("epochs without improvement"), str(r.epochs_without_improvement)),
         (_("weights kept, no restore"), _("epoch {epoch} ({loss:g})").format(epoch=r.stopped_epoch, loss=r.final_loss)),
         (_("restore_best_weights (Keras 3)"), _("epoch {epoch}").format(epoch=r.restored_epoch)),
         (_("restore_best_weights (tf.keras 2)"), _("epoch {epoch}").format(epoch=r.restored_epoch_tf_keras2)),
         (_("lowest loss given"), _("epoch {epoch} ({loss:g})").format(epoch=r.lowest_given_epoch,
                                                                      loss=r.lowest_given_loss))],
    )
    return Group(summary, draw(figure(r)))


def figure(result: EarlyStopping):
    """Validation loss per epoch, with the best epoch, the stop and the epochs never run marked."""
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    r = result
    labels = []
    for epoch in range(1, r.epochs_given + 1):
        if epoch > r.stopped_epoch:
            mark = _("not run")
        elif epoch == r.best_epoch:
            mark = _("best")
        elif epoch == r.stopped_epoch and r.stopped_early:
            mark = _("stop")
        else:
            mark = _("better") if r.improved[epoch - 1] else _("wait {wait}").format(wait=r.wait[epoch - 1])
        labels.append(_("epoch {epoch} {mark}").format(epoch=epoch, mark=mark))
    return Figure.bars(_("Validation loss by epoch"), labels, r.losses, y_label="val_loss", value_format="{:g}")
