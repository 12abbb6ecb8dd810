"""Online submodular maximisation via first-order regret bounds (Harvey, Liaw, Soma, NeurIPS 2020).

Building blocks (spec: shared/specs/submodular.md), all pure JAX unless noted:

- ``oda``: entropic online dual averaging, lazy form, first-order or fixed step (Appendix B).
- ``projections``: KL projections onto uniform / partition matroid base polytopes and the quarter
  disc; Lambert W by Newton iterations (Appendix D.3, spec §3-§4).
- ``rounding``: randomised pipage / dependent rounding onto bases (pre-drawn uniforms).
- ``functions``: coverage, facility location, concave-of-modular, graph cut, FL minus cost; exact
  multilinear extensions, gradients, the curvature decomposition (eq. 3.1).
- ``blackwell``: the per-element USM Blackwell game, its halfspace oracle, the balance learners.
- ``comparators`` (NumPy): brute force (n <= 20), greedy, local search, double greedy.
- ``monotone_policy``: Algorithm 6 (L learners) as a ``Policy``.
- ``usm_policy``: online double greedy with Blackwell balance learners as a ``Policy``.
"""
