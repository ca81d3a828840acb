"""How numbers are shown to candidates: enough significant digits to check an answer, no noise."""

from __future__ import annotations

import math

DEFAULT_DIGITS = 6  # 1.1**100 shows as 13780.6, 1/e as 0.367879: enough to grade at 1e-4 relative


def format_number(value: object, digits: int | None = None) -> str:
    """``13780.6``, ``2.65614e-05``, ``4,128``; non-numbers are returned as str()."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    digits = digits or DEFAULT_DIGITS
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -4 <= exponent < 6:  # 822277970.0 reads better as 8.22278e+08
        decimals = max(0, digits - 1 - exponent)
        text = f"{value:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = f"{value:.{digits - 1}e}"
    head, _, tail = mantissa.partition("e")
    head = head.rstrip("0").rstrip(".") if "." in head else head
    return f"{head}e{tail}"
