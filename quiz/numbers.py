"""Reading a number the user wrote (a command-line option, an environment variable, a deck value).

`float()` alone accepts "nan", "inf" and "1e999" (infinity), and NaN passes every range check, since
each comparison with it is false: one NaN retention or timeout then surfaces far away as a crash.
Every float read from user input goes through `finite_number`.
"""

from __future__ import annotations

import math


def finite_number(text: str) -> float:
    """`text` as a float; ValueError unless it is a finite number (not NaN, not an infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value
