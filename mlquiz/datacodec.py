"""Frozen dataclasses to JSON and back, for the disk caches: data that cannot run code when read.

A pickle in a cache folder runs whatever code it names when loaded, so anyone who can write that
folder could run code as the user. JSON names only data; ``decode`` builds nothing but the
dataclasses the caller lists, so a tampered file can at worst fail to load (and is re-made).
"""

from __future__ import annotations

import dataclasses
import json

CLASS, TUPLE, DICT = "$", "$t", "$d"  # markers for a dataclass, a tuple and a dict with non-string keys


def encode(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {CLASS: type(value).__name__}
        for f in dataclasses.fields(value):
            data[f.name] = encode(getattr(value, f.name))
        return data
    if isinstance(value, tuple):
        return {TUPLE: [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not value.keys() & {CLASS, TUPLE, DICT}:
            return {k: encode(v) for k, v in value.items()}
        return {DICT: [[encode(k), encode(v)] for k, v in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(data, classes: dict[str, type]):
    """``data`` from ``encode`` back to objects; a dataclass not in ``classes`` is a ValueError."""
    if isinstance(data, list):
        return [decode(v, classes) for v in data]
    if not isinstance(data, dict):
        return data
    if TUPLE in data:
        return tuple(decode(v, classes) for v in data[TUPLE])
    if DICT in data:
        return {_hashable(decode(k, classes)): decode(v, classes) for k, v in data[DICT]}
    if CLASS in data:
        cls = classes.get(data[CLASS])
        if cls is None:
            raise ValueError(f"unexpected type {data[CLASS]!r} in a cache file")
        return cls(**{k: decode(v, classes) for k, v in data.items() if k != CLASS})
    return {k: decode(v, classes) for k, v in data.items()}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def dumps(value) -> bytes:
    return json.dumps(encode(value), separators=(",", ":")).encode()


def loads(raw: bytes, classes: dict[str, type]):
    """``decode(json.loads(raw))`` in one pass: json builds each object bottom-up through the hook,
    which is several times faster than walking the parsed tree again."""
    def hook(data: dict):
        if TUPLE in data:
            return tuple(data[TUPLE])
        if DICT in data:
            return {_hashable(k): v for k, v in data[DICT]}
        if CLASS in data:
            cls = classes.get(data.pop(CLASS))
            if cls is None:
                raise ValueError("unexpected type in a cache file")
            return cls(**data)
        return data

    return json.loads(raw, object_hook=hook)
