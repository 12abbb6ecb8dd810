"""LATS / LAGEX paper: pure exploration under unknown linear constraints (spec ``lats_lagex.md``).

Math: ``polytope`` (batched vertex enumeration, LP, alternatives), ``gaussian`` (closed forms of
Theorem 4 / Proposition 1, GLR, confidence shift), ``thresholds``, ``lagrange`` (multiplier,
Slater slack), ``solvers`` (fixed-iteration barrier method), ``characteristic_time`` (T_F).
Problems: ``environments`` (Table 1, the reward + cost observation model, ``data/imdb.json``).
Policies (``machinery`` is the shared loop, ``tracking`` the C/D-tracking rules): ``lats``,
``lagex``, ``ctns``, ``cge``, ``wlag`` (CTnS-WLag, CGE-WLag), ``ptns``, ``uniform``.

Note: the package attribute ``characteristic_time`` is the *function*; the module of the same
name is reachable with ``from bandits.exploration.characteristic_time import ...``.
"""
from .characteristic_time import CharacteristicTime, characteristic_time, characteristic_time_full
from .environments import (ENVIRONMENTS, ExplorationKnown, ExplorationParams, ExplorationProblem,
                           exploration_env, make_problem)
from .machinery import Answer, Config
from . import cge as _cge, ctns as _ctns, lagex as _lagex, lats as _lats, ptns as _ptns, uniform as _uniform, wlag as _wlag

# factories by name (the submodules keep their names: bandits.exploration.lats is the module)
POLICIES = {"lats": _lats.lats, "lagex": _lagex.lagex, "ctns": _ctns.ctns, "cge": _cge.cge,
            "ctns-wlag": _wlag.ctns_wlag, "cge-wlag": _wlag.cge_wlag, "ptns": _ptns.ptns, "uniform": _uniform.uniform}

__all__ = [
    "CharacteristicTime", "characteristic_time", "characteristic_time_full", "ENVIRONMENTS",
    "ExplorationKnown", "ExplorationParams", "ExplorationProblem", "exploration_env", "make_problem",
    "Answer", "Config", "POLICIES",
]
