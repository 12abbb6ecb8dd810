"""Compensated summation: long float32 clocks (3e6 rounds of ~1e2..1e4) stay accurate."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class KahanSum(NamedTuple):
    total: jax.Array
    comp: jax.Array  # running compensation (lost low-order bits)

    @staticmethod
    def zeros(shape=(), dtype=None) -> "KahanSum":
        dtype = dtype or jnp.zeros(()).dtype
        return KahanSum(jnp.zeros(shape, dtype), jnp.zeros(shape, dtype))

    def add(self, x) -> "KahanSum":
        y = x - self.comp
        t = self.total + y
        return KahanSum(t, (t - self.total) - y)

    def add_at(self, idx, x) -> "KahanSum":
        """Compensated scatter-add of x at distinct indices idx."""
        part = KahanSum(self.total[idx], self.comp[idx]).add(x)
        return KahanSum(self.total.at[idx].set(part.total), self.comp.at[idx].set(part.comp))

    @property
    def value(self) -> jax.Array:
        return self.total
