"""A whole paper in one file: Track-and-Stop on a Gaussian bandit (best-arm identification).

The example of the README's "Add a paper" section, and the test of the suite's
stopping-time path: a ``Policy`` with a stopping rule and a recommendation, an
environment that judges the recommendation, a schema, problems, a registration,
and an analysis from stored results. Loaded by its preset through
``plugins: [examples.gaussian_bai]``.

Setting (Garivier & Kaufmann 2016). K Gaussian arms N(mu_a, sigma^2), sigma known.

    for t = 1, 2, ...:
        pull A_t = argmin_a N_a - t w*_a          (D-tracking; w* = (1/2, 1/2) for two arms)
        Z_t = min_{b != a_hat} (mu_hat_a - mu_hat_b)^2 / (2 sigma^2 (1/N_a + 1/N_b))     (GLR, eq. 1)
        stop when Z_t > beta(t, delta) = ln((1 + ln t) / delta)                            (eq. 2)
    recommend a_hat = argmax_a mu_hat_a

For two arms T*(mu) = 8 sigma^2 / Delta^2, and E[tau] / ln(1/delta) -> T* as delta -> 0.
The tracking target w* = 1/2 is exact for K = 2 only; for K > 2 this is uniform
tracking, still delta-correct (the GLR test does not depend on the sampling rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from omegaconf import MISSING

from bandits.core.experiment import (PAPERS, Algorithm, ConfigError, ExperimentSchema, Paper, Problem, as_list,
                                     dedupe, finite_float)
from bandits.core.registry import Registry
from bandits.core.results import atomic_write_text
from bandits.core.types import Environment, Policy
from experiments import common


# ----------------------------------------------------------------------------- the model
class BAIView(NamedTuple):
    """What the learner knows: the number of arms, the noise level, the risk delta."""

    K: int
    sigma: float
    delta: float


class BAIParams(NamedTuple):
    means: jax.Array  # [K] the oracle: only the environment sees it
    sigma: float


def gaussian_arms() -> Environment:
    def reset(key, params):
        return jnp.zeros(params.means.shape[0], jnp.int32)  # pulls per arm

    def sample(key, rounds, params):
        return params.sigma * jax.random.normal(key, (rounds, params.means.shape[0]))

    def step(z, pulls, arm, params):
        return pulls.at[arm].add(1), params.means[arm] + z[arm]

    def metrics(pulls, params):
        return {"pulls_best": pulls[jnp.argmax(params.means)].astype(jnp.float32)}

    def assess(answer, params):
        return {"correct": (answer == jnp.argmax(params.means)).astype(jnp.float32)}

    return Environment(reset, sample, step, metrics, assess)


class TaSState(NamedTuple):
    sums: jax.Array  # [K] reward totals
    counts: jax.Array  # int32[K] N_a


def glr(state: TaSState, sigma: float) -> jax.Array:
    """Eq. (1): the GLR statistic Z_t of 'the empirical best arm is best' (Gaussian, known sigma)."""
    n = jnp.maximum(state.counts, 1).astype(state.sums.dtype)
    mu = state.sums / n
    best = jnp.argmax(mu)
    z = (mu[best] - mu) ** 2 / (2 * sigma**2 * (1 / n[best] + 1 / n))
    return jnp.min(jnp.where(jnp.arange(mu.shape[0]) == best, jnp.inf, z))


def threshold(t, delta: float):
    """Eq. (2): beta(t, delta) = ln((1 + ln t) / delta)."""
    t = jnp.maximum(t, 1).astype(jnp.float32)
    return jnp.log((1 + jnp.log(t)) / delta)


def track_and_stop() -> Policy:
    """Track-and-Stop with D-tracking of w* = 1/K and the GLR stopping rule."""

    def init(known: BAIView):
        return TaSState(jnp.zeros(known.K), jnp.zeros(known.K, jnp.int32))

    def select(state, noise, t, known):
        target = (t + 1) / known.K
        return jnp.argmin(state.counts - target).astype(jnp.int32)  # ties to the lowest index

    def update(state, arm, reward, known):
        return TaSState(state.sums.at[arm].add(reward), state.counts.at[arm].add(1))

    def stopped(state, t, known):
        return (jnp.min(state.counts) > 0) & (glr(state, known.sigma) > threshold(t, known.delta))

    def recommend(state, known):
        return jnp.argmax(state.sums / jnp.maximum(state.counts, 1))

    return Policy(init=init, select=select, update=update, stopped=stopped, recommend=recommend)


def uniform_random() -> Policy:
    """A baseline: arms drawn uniformly at random, the same stopping rule and recommendation."""
    tas = track_and_stop()

    def sample(key, rounds, known):
        return jax.random.randint(key, (rounds,), 0, known.K)

    return tas._replace(select=lambda state, arm, t, known: arm.astype(jnp.int32), sample=sample)


ALGORITHMS: Registry[Algorithm] = Registry("algorithm")
ALGORITHMS.add("track_and_stop", Algorithm(lambda known: track_and_stop(), display="Track-and-Stop"))
ALGORITHMS.add("uniform", Algorithm(lambda known: uniform_random(), display="Uniform"))


# ----------------------------------------------------------------------------- config, problems
@dataclass
class BAIExperiment(ExperimentSchema):
    means: List[float] = MISSING  # true arm means
    sigma: float = MISSING
    delta: List[float] = field(default_factory=lambda: [0.1])  # a sweep axis: one problem per delta


def check(spec: BAIExperiment) -> None:
    means = [finite_float(m, "experiment.means") for m in spec.means]
    if len(means) < 2:
        raise ConfigError(f"experiment.means needs at least 2 arms, got {len(means)}")
    top = sorted(means)[-2:]
    if top[0] == top[1]:
        raise ConfigError("experiment.means has two best arms: best-arm identification needs a unique best")
    finite_float(spec.sigma, "experiment.sigma", 0.0, strict=True)
    for d in as_list(spec.delta):
        if not 0 < finite_float(d, "experiment.delta") < 1:
            raise ConfigError(f"experiment.delta must be in (0, 1), got {d!r}")


def problems(spec: BAIExperiment):
    means = jnp.asarray(spec.means, jnp.float32)
    gap = float(np.sort(spec.means)[-1] - np.sort(spec.means)[-2])
    out = []
    for d in dedupe([float(x) for x in as_list(spec.delta)], "experiment.delta"):
        out.append(Problem(
            label=f"K={len(spec.means)} gap={gap:g} delta={d:g}",
            columns={"K": len(spec.means), "gap": gap, "sigma": float(spec.sigma), "delta": d,
                     "T_star": 8 * spec.sigma**2 / gap**2 if len(spec.means) == 2 else float("nan")},
            known=BAIView(K=len(spec.means), sigma=float(spec.sigma), delta=d),
            env=gaussian_arms(),
            params=BAIParams(means=means, sigma=float(spec.sigma)),
        ))
    return out


# ----------------------------------------------------------------------------- analysis
def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (variant, delta), censoring-aware (``experiments.common``): the censored share beside the median of tau
    (a lower bound once half the seeds are censored) and its restricted mean E[min(tau, cap)] [95% CI]; the error
    rate among the seeds that stopped [Wilson 95% CI]; E[min(tau, cap)] / ln(1/delta) beside T*."""
    rows = []
    for (variant, delta), g in runs.groupby(["variant", "delta"], sort=True):
        st, err = common.stopping_stats(g), common.error_among_stopped(g)
        rows.append(dict(algorithm=g["label"].iloc[0], delta=delta, n_seeds=st["n"], n_stopped=st["n_stopped"],
                         censored_frac=st["censored_frac"], median_tau=st["median"],
                         median_is_lower_bound=st["median_is_bound"], restricted_mean_tau=st["rmean"],
                         tau_ci_low=st["rmean_lo"], tau_ci_high=st["rmean_hi"], error_rate=err["error_rate"],
                         error_ci_low=err["error_lo"], error_ci_high=err["error_hi"],
                         tau_over_log=st["rmean"] / np.log(1 / delta), T_star=float(g["T_star"].iloc[0])))
    return pd.DataFrame(rows)


def report(paper, runs, curves, metas, figures_dir: Path, paper_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tab = summary(runs)
    censored = tab[tab.censored_frac > 0]
    lines = [("**Censored seeds present** (" + ", ".join(f"{r.algorithm} at delta = {r.delta:g}: {r.censored_frac:.1%}"
                                                          for r in censored.itertuples()) + ")."
              if len(censored) else "No seed was censored: every seed stopped before the cap."), "",
             "| algorithm | delta | seeds (stopped) | censored | median tau | E[min(tau, cap)] [95% CI] | "
             "error rate among stopped [95% CI] (<= delta?) | E[min(tau, cap)]/ln(1/delta) | T* = 8 sigma^2/Delta^2 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in tab.itertuples():
        ok = "yes" if r.error_ci_high <= r.delta else ("**no**" if r.error_ci_low > r.delta else "undecided")
        lines.append(f"| {r.algorithm} | {r.delta:g} | {r.n_seeds} ({r.n_stopped}) | {r.censored_frac:.1%} | "
                     f"{'≥ ' if r.median_is_lower_bound else ''}{r.median_tau:,.0f} | {r.restricted_mean_tau:,.1f} "
                     f"[{r.tau_ci_low:,.1f}, {r.tau_ci_high:,.1f}] | {r.error_rate:.4f} [{r.error_ci_low:.4f}, "
                     f"{r.error_ci_high:.4f}] ({ok}) | {r.tau_over_log:.2f} | {r.T_star:.2f} |")
    lines += ["", "A censored seed hit the cap: its tau is the cap, so the mean reported is the restricted mean "
                  "E[min(tau, cap)] and the error rate counts the seeds that stopped (Wilson interval)."]
    out = [atomic_write_text(Path(paper_dir) / paper.name / "summary.md", "\n".join(lines) + "\n"),
           atomic_write_text(Path(paper_dir) / paper.name / "summary.csv", tab.to_csv(index=False))]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    styles = common.variant_styles(runs, paper)
    for variant, g in runs.groupby("variant"):
        s = summary(g)
        x = np.log(1 / s.delta)
        ax.errorbar(x, s.restricted_mean_tau, yerr=[s.restricted_mean_tau - s.tau_ci_low,
                                                    s.tau_ci_high - s.restricted_mean_tau],
                    marker=styles[variant]["marker"] or "o", capsize=2, label=g["label"].iloc[0],
                    color=styles[variant]["color"])
    if tab.T_star.notna().any():
        x = np.log(1 / np.sort(tab.delta.unique()))
        ax.plot(x, tab.T_star.iloc[0] * x, "k--", label=r"$T^* \ln(1/\delta)$")
    ax.set(xlabel=r"$\ln(1/\delta)$", ylabel=r"$E[\min(\tau, \mathrm{cap})]$, 95% CI")
    ax.set_title(f"{common.setting_text(runs, ['K', 'gap', 'sigma'])}; {common.seeds_text(runs, ('variant', 'delta'))}"
                 f" per point, {tab.censored_frac.max():.0%} censored at most", fontsize=8)
    fig.tight_layout()
    common.legend_outside(fig, ax, where="right")
    out.append(common.save_figure(fig, Path(figures_dir) / paper.name / "stopping_times.png"))
    return out


if "toy_bai" not in PAPERS:
    PAPERS.add("toy_bai", Paper(
        name="toy_bai",
        title="Track-and-Stop on a Gaussian bandit (Garivier & Kaufmann 2016)",
        schema=BAIExperiment,
        algorithms=ALGORITHMS,
        problems=problems,
        mode="stopping",
        check=check,
        analysis="examples.gaussian_bai:report",
        id_columns=("K", "gap", "sigma", "delta", "T_star"),
        reference="track_and_stop",
        example=lambda: (problems(BAIExperiment(name="example", paper="toy_bai", algorithms=[], horizon=1, seeds=1,
                                                means=[1.0, 0.0, 0.2], sigma=1.0, delta=[0.05]))[0], {}),
    ))
