"""A function family, an adversary and an algorithm for the online-submodular paper, as plugins (one file + one preset).

Family ``sensor_coverage``: n sensors and m targets at random points of the unit square; sensor i detects
target u with probability P_iu = exp(-|x_i - y_u| / radius). f(S) = Σ_u w_u (1 - Π_{i∈S} (1 - P_iu)), the
probability-weighted share of targets detected: probabilistic coverage, monotone submodular, with the exact
multilinear extension and gradient of ``instances.FastCoverage``. Components = the targets (the adversary keeps
each target's weight w.p. p_t[u] each round), so the family is affine in its component weights, as every
family must be (``bandits/submodular/instances.py``).

Adversary ``patrol``: a window of a quarter of the targets, sliding by one target every ``period`` rounds, is
kept w.p. keep + amplitude, the others w.p. keep - amplitude (targets that matter move around the square).

Algorithm ``marginal_hedge``: exponential weights per element on its marginal value to the set played,
    w_i <- w_i + eta (f_t(S_t + i) - f_t(S_t - i))        (2n value calls a round)
    S_{t+1} = the caps[b] elements of largest w_i in each block b of the matroid (a base)
a plain baseline beside Algorithm 6 (no continuous relaxation, no rounding, no guarantee claimed).

Used by ``configs/experiment/examples/submodular_plugins.yaml``:
    bandits-bench experiment=examples/submodular_plugins hydra.run.dir=results/sensor
    bandits-bench-report results/sensor
"""
import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.types import Policy
from bandits.submodular.instances import ADVERSARIES, FAMILIES, Adversary, FastCoverage, Family
from bandits.submodular.paper import ALGORITHMS, policy_algorithm
from bandits.submodular.rounding import top_k_per_block


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


def marginal_hedge(known, eta: float = 0.5) -> Policy:
    """Args: known, the learner's view (``SubmodularKnown``); eta > 0, the learning rate. Returns: a Policy playing
    a base of the matroid (monotone families only)."""
    if not known.monotone:
        raise ValueError("marginal_hedge plays a base of a matroid: monotone families only")
    if not eta > 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    blocks, caps = jnp.asarray(np.asarray(known.blocks, np.int32)), jnp.asarray(np.asarray(known.caps, np.int32))
    eye = jnp.eye(known.n, dtype=bool)

    def sample(key, rounds, known):
        return jax.random.uniform(key, (rounds, known.n))  # breaks ties between equal weights at random

    def select(w, u, t, known):
        return top_k_per_block(w + 1e-6 * u.astype(w.dtype), blocks, caps)

    def update(w, mask, f, known):
        gain = jax.vmap(f.value)(mask[None, :] | eye) - jax.vmap(f.value)(mask[None, :] & ~eye)
        return w + eta * gain.astype(w.dtype)

    return Policy(init=lambda known: jnp.zeros(known.n), select=select, update=update, sample=sample)


if "marginal_hedge" not in ALGORITHMS:
    ALGORITHMS.add("marginal_hedge", policy_algorithm(marginal_hedge, display="marginal Hedge (plugin)",
                                                      color="darkgreen", calls=lambda known: 2 * known.n))
