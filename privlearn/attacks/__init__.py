"""Attacks that show what each protection is for (and what breaks without it)."""

from .floating_point import unreachable_from

__all__ = ["unreachable_from"]
