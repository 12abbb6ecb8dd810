"""Experiment kinds: ``experiment.kind`` in a preset -> (validate, run) of a paper module.

Each run function takes (experiment spec, runner settings, log) and returns
(runs DataFrame, curves DataFrame, timings list). New papers register here.
"""
from __future__ import annotations

from bandits.core.registry import Registry

KINDS: Registry = Registry("experiment kind")


def _allocation():
    from bandits.allocation import experiment

    return experiment


KINDS.add("allocation", _allocation)
