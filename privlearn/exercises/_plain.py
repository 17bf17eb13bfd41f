"""Answers as plain data: how an answer leaves the process that computed it.

A grade must not depend on objects that student code could have tampered with, so an
answer crosses from the student's kernel to the checker as JSON-shaped data only (never
pickle): numbers, strings, lists, dicts, arrays as dtype + shape + values. The same
round trip runs when a student checks an answer in their own notebook, so the checker
sees the same thing in both places.

:func:`encode` turns a value into that data; :func:`decode` turns data back into fresh
objects. Supported: ``None``, ``bool``, ``int`` (any size; numpy and gmpy2 integers
become ``int``), ``float`` (numpy floats become ``float``), ``str``, ``tuple``, ``list``,
``dict`` (keys of these kinds), numpy arrays of bool, integer and float dtype, torch
tensors (decoded as tensors, so a function under test receives the type it expects),
``torch.nn.Linear`` modules (as their weight and bias) and numpy ``Generator`` objects
(as their PCG64 state; one generator passed twice in one call stays one generator).
Anything else encodes as :class:`Opaque`, which carries only its type name, so a
checker can say "expected a number, got Foo".

Decoding checks the shape of what it is given and refuses data that is too deep or too
large (:class:`PlainDataError`): the other side may be hostile.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "Opaque", "PlainDataError", "decode", "encode"]

MAX_DEPTH = 32            # nesting of lists, dicts and tuples
MAX_ITEMS = 20_000_000    # numbers in all arrays and containers of one value together
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64"}


class PlainDataError(ValueError):
    """Data that is not a well-formed encoding (or is too big)."""


class Opaque:
    """Stands in for a value that has no plain-data form; only its type name survives."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = str(type_name)[:100]

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.type_name == self.type_name

    def __hash__(self) -> int:
        return hash(("Opaque", self.type_name))


def _torch():
    import torch  # only when a tensor is actually met: numpy-only exercises stay light

    return torch


def _is_tensor(value: Any) -> bool:
    mod = type(value).__module__ or ""
    return mod.startswith("torch") and hasattr(value, "detach") and hasattr(value, "numel")


def _array_data(arr: np.ndarray) -> dict:
    if arr.dtype.kind == "O" and all(isinstance(v, numbers.Integral) for v in arr.flat):
        return {"dtype": "int", "shape": list(arr.shape), "values": [int(v) for v in arr.flat]}
    if arr.dtype.name not in _DTYPES:
        raise TypeError(arr.dtype.name)
    flat = arr.ravel()
    values = flat.tolist()
    if arr.dtype.kind == "f":
        values = [v if math.isfinite(v) else repr(v) for v in values]  # JSON has no nan/inf
    return {"dtype": arr.dtype.name, "shape": list(arr.shape), "values": values}


def encode(value: Any) -> Any:
    """The plain-data form of ``value`` (JSON-serialisable; see the module doc)."""
    return _Encoder().encode(value, 0)


class _Encoder:
    def __init__(self) -> None:
        self.generators: dict[int, int] = {}

    def encode(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return {"t": "opaque", "type": "a structure nested too deeply"}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, numbers.Integral):  # int, numpy and gmpy2 integers
            return int(value)
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
            try:
                f = float(value)
            except (TypeError, ValueError, OverflowError):
                return {"t": "opaque", "type": type(value).__name__}
            return f if math.isfinite(f) else {"t": "float", "value": repr(f)}
        if isinstance(value, tuple):
            return {"t": "tuple", "items": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {"t": "dict", "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                           for k, v in value.items()]}
        if isinstance(value, np.ndarray):
            try:
                return {"t": "ndarray", **_array_data(value)}
            except TypeError:
                return {"t": "opaque", "type": f"array of dtype {value.dtype}"}
        if _is_tensor(value):
            arr = value.detach().cpu()
            try:
                data = _array_data(arr.numpy())
            except TypeError:
                return {"t": "opaque", "type": f"tensor of dtype {arr.dtype}"}
            except RuntimeError:  # bfloat16 and friends have no numpy dtype
                return {"t": "opaque", "type": f"tensor of dtype {arr.dtype}"}
            return {"t": "tensor", **data}
        if isinstance(value, np.random.Generator):
            key = self.generators.setdefault(id(value), len(self.generators))
            state = value.bit_generator.state
            if state.get("bit_generator") != "PCG64":
                return {"t": "opaque", "type": f"Generator({state.get('bit_generator')})"}
            out = {"t": "rng", "id": key, "state": state["state"], "has_uint32":
                   state["has_uint32"], "uinteger": state["uinteger"]}
            seq = value.bit_generator.seed_seq  # for spawn(), which starts from it
            if isinstance(seq, np.random.SeedSequence) and \
                    isinstance(seq.entropy, (int, type(None))):
                out["seed_seq"] = {"entropy": seq.entropy, "spawn_key": list(seq.spawn_key),
                                   "pool_size": seq.pool_size,
                                   "children": seq.n_children_spawned}
            return out
        torch_nn = _linear_class(value)
        if torch_nn is not None:
            bias = value.bias
            return {"t": "linear", "weight": self.encode(value.weight.detach(), depth + 1),
                    "bias": None if bias is None else self.encode(bias.detach(), depth + 1)}
        return {"t": "opaque", "type": type(value).__name__}


def _linear_class(value: Any):
    mod = type(value).__module__ or ""
    if not mod.startswith("torch"):
        return None
    torch = _torch()
    return torch.nn.Linear if type(value) is torch.nn.Linear else None


# ------------------------------------------------------------------------ decoding


def decode(data: Any) -> Any:
    """Fresh objects from plain data made by :func:`encode`; PlainDataError if malformed."""
    return _Decoder().decode(data, 0)


def _seed_seq(data: Any) -> np.random.SeedSequence:
    """The seed sequence a generator was made from (its ``spawn`` starts from it), or a
    fixed one when none was sent, so that spawning is repeatable all the same."""
    if data is None:
        return np.random.SeedSequence(0)
    try:
        entropy, key = data["entropy"], data["spawn_key"]
        if not (entropy is None or (isinstance(entropy, int) and entropy >= 0)) or \
                not isinstance(key, list) or not all(isinstance(k, int) for k in key):
            raise ValueError("entropy and spawn_key must be non-negative integers")
        return np.random.SeedSequence(entropy, spawn_key=tuple(key),
                                      pool_size=int(data["pool_size"]),
                                      n_children_spawned=int(data["children"]))
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise PlainDataError(f"bad generator seed sequence: {exc}") from None


class _Decoder:
    def __init__(self) -> None:
        self.items = 0
        self.generators: dict[int, np.random.Generator] = {}

    def count(self, n: int) -> None:
        self.items += n
        if self.items > MAX_ITEMS:
            raise PlainDataError(f"more than {MAX_ITEMS:,} numbers in one answer")

    def decode(self, data: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise PlainDataError(f"nested more than {MAX_DEPTH} deep")
        self.count(1)
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return [self.decode(v, depth + 1) for v in data]
        if not isinstance(data, dict) or not isinstance(data.get("t"), str):
            raise PlainDataError(f"unexpected {type(data).__name__} in plain data")
        tag = data["t"]
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in _field(data, "items", list))
        if tag == "dict":
            out = {}
            for pair in _field(data, "items", list):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise PlainDataError("a dict item must be a [key, value] pair")
                key = self.decode(pair[0], depth + 1)
                try:
                    hash(key)
                except TypeError:
                    raise PlainDataError(f"unhashable dict key {type(key).__name__}") from None
                out[key] = self.decode(pair[1], depth + 1)
            return out
        if tag == "float":
            text = _field(data, "value", str)
            if text not in ("nan", "inf", "-inf"):
                raise PlainDataError(f"bad special float {text!r}")
            return float(text)
        if tag in ("ndarray", "tensor"):
            arr = self.array(data)
            if tag == "ndarray":
                return arr
            torch = _torch()
            if arr.dtype == object:  # torch has no big-integer tensors
                raise PlainDataError("a tensor of integers beyond 64 bits")
            return torch.from_numpy(arr.copy())
        if tag == "rng":
            key = _field(data, "id", int)
            if key not in self.generators:
                gen = np.random.Generator(np.random.PCG64(_seed_seq(data.get("seed_seq"))))
                try:
                    gen.bit_generator.state = {
                        "bit_generator": "PCG64", "state": _field(data, "state", dict),
                        "has_uint32": _field(data, "has_uint32", int),
                        "uinteger": _field(data, "uinteger", int)}
                except (TypeError, ValueError, KeyError, OverflowError) as exc:
                    raise PlainDataError(f"bad generator state: {exc}") from None
                self.generators[key] = gen
            return self.generators[key]
        if tag == "linear":
            torch = _torch()
            weight = self.decode(_field(data, "weight", dict), depth + 1)
            bias = data.get("bias")
            bias = None if bias is None else self.decode(bias, depth + 1)
            if not (torch.is_tensor(weight) and weight.ndim == 2 and weight.is_floating_point()):
                raise PlainDataError("a Linear module's weight must be a 2-D float tensor")
            if bias is not None and not (torch.is_tensor(bias) and bias.shape ==
                                         weight.shape[:1] and bias.dtype == weight.dtype):
                raise PlainDataError("a Linear module's bias must match its weight")
            module = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                                     dtype=weight.dtype)
            with torch.no_grad():
                module.weight.copy_(weight)
                if bias is not None:
                    module.bias.copy_(bias)
            return module
        if tag == "opaque":
            return Opaque(_field(data, "type", str))
        raise PlainDataError(f"unknown tag {tag!r}")

    def array(self, data: dict) -> np.ndarray:
        dtype = _field(data, "dtype", str)
        shape = _field(data, "shape", list)
        values = _field(data, "values", list)
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise PlainDataError(f"bad array shape {shape!r}")
        size = math.prod(shape)
        if size != len(values):
            raise PlainDataError(f"shape {shape} needs {size} values, got {len(values)}")
        self.count(size)
        if dtype == "int":
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                raise PlainDataError("an integer array holds a non-integer")
            arr = np.empty(size, dtype=object)
            arr[:] = values
            return arr.reshape(shape)
        if dtype not in _DTYPES:
            raise PlainDataError(f"unsupported dtype {dtype!r}")
        kind = np.dtype(dtype).kind
        for v in values:
            ok = (isinstance(v, bool) if kind == "b" else
                  isinstance(v, int) and not isinstance(v, bool) if kind in "iu" else
                  (isinstance(v, (int, float)) and not isinstance(v, bool))
                  or v in ("nan", "inf", "-inf"))
            if not ok:
                raise PlainDataError(f"value {v!r} in an array of dtype {dtype}")
        try:
            arr = np.array([float(v) if isinstance(v, str) else v for v in values]
                           if kind == "f" else values, dtype=dtype)
        except OverflowError:
            raise PlainDataError(f"a value out of range for dtype {dtype}") from None
        return arr.reshape(shape)


def _field(data: dict, name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlainDataError(f"{data.get('t')!r} needs a {kind.__name__} {name!r}")
    return value
