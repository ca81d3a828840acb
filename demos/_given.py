"""Checks shared by the demos that run on explicit inputs (``floats`` and ``matrix`` parameters).

Not a demo (the leading ``_``). Each check raises ``DemoInputError`` with a one-line message that
names the options involved and says how to fix them.
"""

from __future__ import annotations

import numpy as np

from mlquiz.i18n import N_

# the ``what`` of the callers (lstm-step, gru-step), translated where the message is raised
WHAT = (N_("every gate and --c-prev"), N_("--r, --z, --x-n, --h-n and --h-prev"))


def same_length(named: dict[str, tuple[float, ...]], what: str) -> int:
    """The shared length of every vector in ``named`` (option -> numbers), or DemoInputError.

    ``what`` ends the message: "give {what} one number per hidden unit".
    """
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import _

    (first, numbers), *rest = named.items()
    for option, values in rest:
        if len(values) != len(numbers):
            raise DemoInputError(_("{option} has {count} but {first} has {first_count}; "
                                   "give {what} one number per hidden unit").format(
                option=option, count=_count(values), first=first, first_count=_count(numbers), what=_(what)))
    return len(numbers)


def check_gate_values(option: str, values: np.ndarray, low: float, high: float) -> None:
    """Gate values given directly: a sigmoid gate lies in [0, 1], a tanh one in [-1, 1]."""
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import _

    bad = values[(values < low) | (values > high)]
    if bad.size:
        kind = "sigmoid" if low == 0 else "tanh"
        raise DemoInputError(_("{option} {value:g} is not a {kind} value; with --given activations give "
                               "{option} in {interval}, or use --given preactivations").format(
            option=option, value=bad[0], kind=kind, interval=f"[{low:g}, {high:g}]"))


def _count(values) -> str:
    from mlquiz.i18n import ngettext

    return ngettext("{n} number", "{n} numbers", len(values)).format(n=len(values))
