"""Checks shared by the demos that run on explicit inputs (``floats`` and ``matrix`` parameters).

Not a demo (the leading ``_``). Each check raises ``DemoInputError`` with a one-line message that
names the options involved and says how to fix them.
"""

from __future__ import annotations

import numpy as np


def same_length(named: dict[str, tuple[float, ...]], what: str) -> int:
    """The shared length of every vector in ``named`` (option -> numbers), or DemoInputError.

    ``what`` ends the message: "give {what} one number per hidden unit".
    """
    from mlquiz.errors import DemoInputError

    (first, numbers), *rest = named.items()
    for option, values in rest:
        if len(values) != len(numbers):
            raise DemoInputError(f"{option} has {_count(values)} but {first} has {_count(numbers)}; "
                                 f"give {what} one number per hidden unit")
    return len(numbers)


def check_gate_values(option: str, values: np.ndarray, low: float, high: float) -> None:
    """Gate values given directly: a sigmoid gate lies in [0, 1], a tanh one in [-1, 1]."""
    from mlquiz.errors import DemoInputError

    bad = values[(values < low) | (values > high)]
    if bad.size:
        kind = "sigmoid" if low == 0 else "tanh"
        raise DemoInputError(f"{option} {bad[0]:g} is not a {kind} value; with --given activations give "
                             f"{option} in [{low:g}, {high:g}], or use --given preactivations")


def _count(values) -> str:
    return f"{len(values)} number" + ("" if len(values) == 1 else "s")
