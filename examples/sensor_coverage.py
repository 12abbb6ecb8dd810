"""A function family and an adversary for the online-submodular paper, as plugins (one file + one preset).

Family ``sensor_coverage``: n sensors and m targets at random points of the unit square; sensor i detects
target u with probability P_iu = exp(-|x_i - y_u| / radius). f(S) = Σ_u w_u (1 - Π_{i∈S} (1 - P_iu)), the
probability-weighted share of targets detected: probabilistic coverage, monotone submodular, with the exact
multilinear extension and gradient of ``instances.FastCoverage``. Components = the targets (the adversary keeps
each target's weight w.p. p_t[u] each round), so the family is affine in its component weights, as every
family must be (``bandits/submodular/instances.py``).

Adversary ``patrol``: a window of a quarter of the targets, sliding by one target every ``period`` rounds, is
kept w.p. keep + amplitude, the others w.p. keep - amplitude (targets that matter move around the square).

Used by ``configs/experiment/examples/submodular_plugins.yaml``:
    bandits-bench experiment=examples/submodular_plugins hydra.run.dir=results/sensor
    bandits-bench-report results/sensor
"""
import jax
import jax.numpy as jnp

from bandits.submodular.instances import ADVERSARIES, FAMILIES, Adversary, FastCoverage, Family


def make(key, n, curvature, targets=None, radius=0.15):
    """The base instance (curvature is unused: only ``concave_modular`` reads it)."""
    m = int(targets or 2 * n)
    k1, k2, k3 = jax.random.split(key, 3)
    sensors, points = jax.random.uniform(k1, (n, 2)), jax.random.uniform(k2, (m, 2))
    dist = jnp.linalg.norm(sensors[:, None, :] - points[None, :, :], axis=-1)  # [n, m]
    w = jax.random.uniform(k3, (m,))
    return FastCoverage(probs=jnp.exp(-dist / float(radius)), weights=w / jnp.sum(w))


FAMILIES.add("sensor_coverage", Family(
    make, lambda b: b.weights.shape[0], lambda b, w: FastCoverage(b.probs, b.weights * w), True,
    "sensors detecting targets on the unit square (examples/sensor_coverage.py; kwargs: targets, radius)"))


def patrol(p, t):
    """p_t[u] = keep ± amplitude: + inside the window of m/4 targets starting at target ⌊t / period⌋ mod m."""
    m = p.sign.shape[0]
    start = (t // p.period.astype(t.dtype)) % m
    inside = (jnp.arange(m) - start) % m < max(1, m // 4)
    return p.keep + p.amplitude * jnp.where(inside, 1.0, -1.0).astype(p.keep.dtype)


ADVERSARIES.add("patrol", Adversary(patrol, False, "a quarter of the targets favoured, the window sliding every "
                                                   "`period` rounds (examples/sensor_coverage.py)"))
