"""Value ranges of config keys: every numeric key of a schema is checked against one, before anything is built.

A schema field declares its range with ``ranged(default, low, high, ...)`` (a dataclass field carrying a
``Range``); a numeric field that declares none gets its type's default range, so a key added later is
bounded too:

* an integer must fit a 32-bit integer (the round counters, sizes and indices of the simulations are int32);
* a real number must be finite and within +-``FLOAT_LIMIT`` = 1e12: a product of two such numbers summed over
  2^31 rounds stays finite in float32 (1e24 x 2^31 ~ 2e33 < 3.4e38).

Untyped values (``Any``: a sweep axis that is a number or a list, hyperparameters, a law's keyword arguments)
are walked too: every number found in them is checked against the field's range or the default of its type.
Physical parameters declare tighter ranges, where their arithmetic is meaningful, and say why in ``why``.
The message of a failed check names the key, the range and the value in one line (a ``ConfigError``).
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
FLOAT_LIMIT = 1e12
# rounds are counted in int32 (t, grids, stopping times): the horizon plus one chunk of rounds must stay below 2^31
MAX_CHUNK = 2**20
MAX_HORIZON = 10**9
WHY_ROUNDS = "round counters are 32-bit integers"


class ConfigError(ValueError):
    """A bad experiment configuration; the message names the problem and the valid choices."""


@dataclass(frozen=True)
class Range:
    """The valid values of one numeric key.

    kind   "int" or "float"; None takes it from the field's type (``Any`` fields must say)
    label  shown after the key (``experiment.env.budget (budget B)``)
    why    why the bound: shown in the message after the range
    """

    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    high_open: bool = False
    kind: Optional[str] = None
    label: str = ""
    why: str = ""

    def check(self, value, key: str, kind: Optional[str] = None):
        """``value`` if it is a number of this range (ints as int, reals as float); ``ConfigError`` otherwise."""
        name = f"{key} ({self.label})" if self.label else key
        if (self.kind or kind) == "int":
            return strict_int(value, name, self.low, self.high, why=self.why)
        return finite_float(value, name, self.low, strict=self.low_open, high=self.high,
                            strict_high=self.high_open, why=self.why)


DEFAULT_RANGES = {
    "int": Range(-INT32_MAX - 1, INT32_MAX, why="it must fit a 32-bit integer"),
    "float": Range(-FLOAT_LIMIT, FLOAT_LIMIT, why="beyond, float32 sums overflow"),
}


def ranged(default: Any = dataclasses.MISSING, low=None, high=None, *, low_open=False, high_open=False, kind=None,
           label="", why="", default_factory: Any = dataclasses.MISSING):
    """A dataclass field with a ``Range`` (Hydra structured configs keep the metadata)."""
    meta = {"range": Range(low, high, low_open, high_open, kind, label, why)}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def _bounds(low, high, low_open=False, high_open=False, integer=False) -> str:
    fmt = (lambda x: f"{int(x)}") if integer else (lambda x: f"{x:g}")
    if low is not None and high is not None:
        if integer:
            return f">= {fmt(low)} and <= {fmt(high)}"
        return f"in {'(' if low_open else '['}{fmt(low)}, {fmt(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {fmt(low)}"
    return f"{'<' if high_open else '<='} {fmt(high)}"


def strict_int(value, key: str, low: int | None = None, high: int | None = None, why: str = "") -> int:
    """An integer (not a bool or a float) in [low, high]; one line naming ``key`` and the range otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{key} must be an integer {_bounds(low, high, integer=True)}"
                          f"{f' ({why})' if why else ''}, got {value!r}")
    return int(value)


def finite_float(value, key: str, low: float | None = None, strict: bool = False, high: float | None = None,
                 strict_high: bool = False, why: str = "") -> float:
    """A finite real number in the range (``strict``: low excluded); one line naming ``key`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{key} must be finite, got {value!r}")
    below = low is not None and (value <= low if strict else value < low)
    above = high is not None and (value >= high if strict_high else value > high)
    if below or above:
        raise ConfigError(f"{key} must be {_bounds(low, high, strict, strict_high)}"
                          f"{f' ({why})' if why else ''}, got {value!r}")
    return value


# ----------------------------------------------------------------------------- walking a schema
def _kind(tp) -> Optional[str]:
    """"int" / "float" for a numeric annotation (through Optional, List, Dict values), "any" for Any, else None."""
    if tp is Any:
        return "any"
    if tp is bool:
        return None
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (list, tuple) or origin is typing.Union:
        return _kind(args[0]) if args else None
    if origin is dict:
        return _kind(args[1]) if len(args) == 2 else None
    return None


def _walk(value, key: str, kind: str, declared: Optional[Range]):
    if value is None or (isinstance(value, (str, bool)) and kind == "any" and declared is None):
        return  # a name or a flag among untyped values
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f"{key}.{k}", kind, declared)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _walk(v, key, kind, declared)
        return
    if dataclasses.is_dataclass(value):
        check_ranges(value, key)
        return
    if kind == "any":  # an untyped value: its own type's default, unless the field declares a range
        if isinstance(value, (bool, str)):
            return
        if isinstance(value, (int, np.integer)):
            kind = "int"
        elif isinstance(value, (float, np.floating)):
            kind = "float"
        else:
            return
    rng = declared or DEFAULT_RANGES[kind]
    rng.check(value, key, kind)


def check_ranges(obj, prefix: str) -> None:
    """Check every numeric value of a schema object (a dataclass, nested ones included) against its range."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(value):
            check_ranges(value, key)
            continue
        declared = f.metadata.get("range")
        kind = (declared.kind if declared is not None and declared.kind else None) or _kind(hints.get(f.name))
        if kind is None:
            continue
        _walk(value, key, kind, declared)


def declared_ranges(schema: type, prefix: str = "") -> dict:
    """key -> (its Range, whether the schema declares it) for every numeric field of a schema class; a field
    typed ``Any`` counts when it declares a range (its values may be names)."""
    out = {}
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints.get(f.name)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            out.update(declared_ranges(tp, key))
            continue
        declared = f.metadata.get("range")
        kind = (declared.kind if declared is not None and declared.kind else None) or _kind(tp)
        if kind in ("int", "float"):
            out[key] = (declared or DEFAULT_RANGES[kind], declared is not None)
    return out
