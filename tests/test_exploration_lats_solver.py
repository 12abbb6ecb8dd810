"""The LATS inner problem (spec section 6) against SciPy SLSQP on random instances:

    max_{omega in D} min_u G_u(omega) - B max(0, max_i (A_hat omega - b - c)_i),   D = Delta_K or F_hat,

solved by the policy's fixed-iteration barrier solver (default iteration counts)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize

from bandits.exploration import polytope
from bandits.exploration.characteristic_time import maxmin_problem, maxmin_allocation, objective
from bandits.exploration.lats import lats_rule
from bandits.exploration.machinery import Context
from bandits.exploration.solvers import NEWTON_TOL


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def random_instance(rng, K, d, b_low, b_high, shift=0.0):
    """mu ~ N(1, 0.5^2), A ~ U[0, 1]^{d x K}, b ~ U[b_low, b_high]^d and F_hat(shift)'s vertices, LP optimum
    and alternatives (draws in that order)."""
    mu = rng.normal(1.0, 0.5, size=K)
    A = rng.uniform(0, 1, size=(d, K))
    b = rng.uniform(b_low, b_high, size=d)
    verts = polytope.vertices(A, b, shift)
    lp = polytope.lp_argmax(mu, verts)
    return mu, A, b, verts, lp, polytope.alternatives(lp.policy, verts)


def reference(gap2, coef, A, bs, B, restricted, w_starts):
    """SLSQP on the epigraph: max s - B z  s.t.  G_u(w) >= s, z >= 0, z >= A w - b, w in D; best of several starts."""
    K = coef.shape[1]
    G = lambda w: gap2 / (2 * (coef @ (1 / w)))

    def G_jac(w):
        q = coef @ (1 / w)
        return (gap2 / (2 * q * q))[:, None] * coef / (w * w)[None, :]

    best = -np.inf
    for w0 in w_starts:
        sc = G(w0).min()
        cons = [
            {"type": "eq", "fun": lambda x: x[:K].sum() - 1, "jac": lambda x: np.r_[np.ones(K), 0, 0]},
            {"type": "ineq", "fun": lambda x: (G(x[:K]) - x[K]) / sc,
             "jac": lambda x: np.c_[G_jac(x[:K]), -np.ones(len(gap2)), np.zeros(len(gap2))] / sc},
            {"type": "ineq", "fun": lambda x: x[K + 1] - (A @ x[:K] - bs),
             "jac": lambda x: np.c_[-A, np.zeros(len(bs)), np.ones(len(bs))]},
        ]
        if restricted:
            cons.append({"type": "ineq", "fun": lambda x: bs - A @ x[:K], "jac": lambda x: np.c_[-A, np.zeros((len(bs), 2))]})
        x0 = np.r_[w0, 0.5 * sc, max(0.0, np.max(A @ w0 - bs)) + 0.01]
        res = minimize(lambda x: -(x[K] - B * x[K + 1]) / sc, x0,
                       jac=lambda x: np.r_[np.zeros(K), -1 / sc, B / sc], constraints=cons,
                       bounds=[(1e-9, 1)] * K + [(None, None), (0, None)], method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 2000})
        w = np.maximum(res.x[:K], 1e-9)
        w /= w.sum()
        if restricted and np.any(A @ w > bs + 1e-9):
            continue
        best = max(best, G(w).min() - B * max(0.0, np.max(A @ w - bs)))
    return best


@pytest.mark.parametrize("restricted", [False, True])
def test_lats_allocation_matches_slsqp(restricted):
    rng = np.random.default_rng(4 + restricted)
    K, d = 5, 2
    step = jax.jit(lats_rule(multiplier=True, restricted=restricted).step)
    checked = 0
    for trial in range(14):
        mu = rng.normal(1, 0.5, size=K)
        A = rng.uniform(0, 1, size=(d, K)) + rng.normal(0, 0.1, size=(d, K))
        b = rng.uniform(0.4, 0.8, size=d)
        c = rng.uniform(0, 0.1)
        B = [0.0, 0.05, 1.0][trial % 3] * 1.0
        sigma2 = rng.uniform(0.5, 1.5, size=K)
        verts = polytope.vertices(A, b, c)
        lp = polytope.lp_argmax(mu, verts)
        if not bool(lp.feasible):
            continue
        alt = polytope.alternatives(lp.policy, verts)
        gaps = (np.asarray(lp.policy)[None, :] - np.asarray(verts.points)[np.asarray(alt)]) @ mu
        if gaps.min() < 1e-2 * gaps.max():
            continue  # near-tied optimum: the value ~ gap^2 is tiny and the barrier converges slowly (documented)
        counts = jnp.full(K, 20, jnp.int32)
        ctx = Context(n=jnp.int32(100), counts=counts, mu_hat=jnp.asarray(mu), A_hat=jnp.asarray(A),
                      b_shift=jnp.asarray(b + c), shift=jnp.asarray(c), sigma2=jnp.asarray(sigma2),
                      r=jnp.asarray(0.0), verts=verts, pi=lp.policy, alt=alt)
        from bandits.exploration.lats import LATSState
        state = LATSState(omega=jnp.asarray(rng.dirichlet(np.ones(K))), bound=jnp.asarray(B))
        omega, _ = step(state, ctx)
        prob = maxmin_problem(jnp.asarray(mu), jnp.asarray(sigma2), lp.policy, verts.points, alt, 0.0,
                            pen_A=A, pen_b=b + c, bound=B)
        ours = float(objective(prob, omega))
        # reference data from numpy
        P = np.asarray(verts.points)[np.asarray(alt)]
        V = np.asarray(lp.policy)[None, :] - P
        gap2 = np.maximum(V @ mu, 0) ** 2
        coef = sigma2[None, :] * V**2
        feas = np.asarray(verts.points)[np.asarray(verts.feasible)]
        if restricted:
            starts = [feas.mean(0)] + [rng.dirichlet(np.ones(len(feas))) @ feas for _ in range(3)]
            assert np.all(A @ np.asarray(omega) <= b + c + 1e-9)
        else:
            starts = [np.full(K, 1 / K)] + [rng.dirichlet(np.ones(K)) for _ in range(3)]
        # SLSQP also from near our answer: the problem is concave, so a local improvement there would
        # show that our point is not (near-)optimal
        w = np.asarray(omega)
        starts.append(0.9 * w + 0.1 * (feas.mean(0) if restricted else np.full(K, 1 / K)))
        starts = [np.maximum(s, 1e-3) / np.maximum(s, 1e-3).sum() for s in starts]
        ref = reference(gap2, coef, A, b + c, B, restricted, starts)
        ours_np = (gap2 / (2 * (coef @ (1 / w)))).min() - B * max(0.0, np.max(A @ w - b - c))
        assert np.isclose(ours, ours_np, rtol=1e-10)
        assert ours >= ref - 1e-3 * abs(ref), (trial, ours, ref)
        checked += 1
    assert checked >= 8


def test_working_set_solve_equals_the_full_solve_on_imdb_sizes():
    """K = 12, d = 3 (1365 vertex rows): the working-set solver (pi's neighbours by pivots, the smallest G_u at the
    previous allocation, the check against every alternative and its fallbacks) reaches the objective of the solve
    over all alternatives, from good and from misleading previous allocations (a point mass), for r = 0 and r > 0.
    With r > 0 vertices beyond pi's neighbours are active at the optimum: without the check (VERIFY_TOL huge) this
    test fails."""
    from bandits.exploration.lats import LATSState
    K, d = 12, 3
    rng = np.random.default_rng(21)
    # both solved through all 6 stages, the last centred to 1e-10 (a gap of 1e-6): the default stopping rule leaves
    # up to REL_GAP = 5e-4, more than the effects tested here
    tight = dict(rel_gap=None, tol=NEWTON_TOL)
    full = jax.jit(lats_rule(multiplier=True, working=None, **tight).step)
    ws = jax.jit(lats_rule(multiplier=True, **tight).step)
    checked = 0
    for trial in range(6):
        r = [0.0, 0.1][trial % 2]  # r > 0: alternatives beyond pi's neighbours count (spec section 3)
        mu = rng.normal(1.5, 0.5, size=K)
        A = (rng.uniform(size=(d, K)) < 0.4) * np.array([[1.0], [-1.0], [-1.0]]) + rng.normal(0, 0.05, (d, K))
        b = np.array([0.3, -0.3, -0.3]) + rng.uniform(0, 0.05, d)
        verts = polytope.vertices(A, b, 0.02)
        lp = polytope.lp_argmax(mu, verts)
        if not bool(lp.feasible):
            continue
        alt = polytope.alternatives(lp.policy, verts)
        ctx = Context(n=jnp.int32(500), counts=jnp.full(K, 40, jnp.int32), mu_hat=jnp.asarray(mu),
                      A_hat=jnp.asarray(A), b_shift=jnp.asarray(b + 0.02), shift=jnp.asarray(0.02),
                      sigma2=jnp.asarray(rng.uniform(0.8, 1.8, K)), r=jnp.asarray(r), verts=verts, pi=lp.policy,
                      alt=alt, active=jnp.asarray(True), pi_index=lp.index)
        prob = maxmin_problem(ctx.mu_hat, ctx.sigma2, ctx.pi, verts.points, alt, r, pen_A=ctx.A_hat,
                              pen_b=ctx.b_shift, bound=0.05)
        point = np.full(K, 1e-3)
        point[int(np.argmin(mu))] = 1.0
        for prev in [rng.dirichlet(np.ones(K)), point / point.sum()]:
            state = LATSState(omega=jnp.asarray(prev), bound=jnp.asarray(0.05))
            ref = float(objective(prob, full(state, ctx)[0]))
            got = float(objective(prob, ws(state, ctx)[0]))
            assert got >= ref - 1e-4 * abs(ref), (trial, got, ref)  # barrier noise: ~1e-5 of small values
        checked += 1
    assert checked >= 3


def test_structured_barrier_matches_the_autodiff_barrier():
    """``solvers.structured_barrier`` (derivatives written out) against ``solvers.barrier_maximize`` (autodiff
    Hessians, fixed Newton steps) on the epigraph of the max-min problem with a penalty: same optimum."""
    from bandits.exploration.characteristic_time import _solve_rows, g_of
    from bandits.exploration.solvers import barrier_maximize
    rng = np.random.default_rng(31)
    K, d = 5, 2
    for trial in range(5):
        mu, A, b, verts, lp, alt = random_instance(rng, K, d, 0.4, 0.8)
        prob = maxmin_problem(jnp.asarray(mu), jnp.ones(K), lp.policy, verts.points, alt, 0.0, pen_A=A, pen_b=b,
                              bound=0.1)
        w0 = jnp.full(K, 1.0 / K)
        ours = float(objective(prob, _solve_rows(prob, prob.gap2, prob.coef, prob.alt, w0, 6, 10, 16.0, 0.3)))

        def f0(x):
            return x[K] - 0.1 * x[K + 1]

        def slacks(x):
            w = x[:K]
            return jnp.concatenate([w, jnp.where(alt, g_of(prob, jnp.maximum(w, 1e-300)) - x[K], 1.0),
                                    x[K + 1:], x[K + 1] - (A @ w - b)])

        g0 = float(jnp.min(jnp.where(alt, g_of(prob, w0), jnp.inf)))
        x0 = jnp.concatenate([w0, jnp.asarray([0.5 * g0, max(0.0, float(np.max(A @ np.asarray(w0) - b))) + 0.01])])
        E = jnp.zeros((1, K + 2)).at[0, :K].set(1.0)
        res = barrier_maximize(f0, slacks, x0, E, jnp.ones(1), stages=12, newton_steps=20)
        ref = float(objective(prob, res.x[:K]))
        assert np.isclose(ours, ref, rtol=1e-4), (trial, ours, ref)


def test_inactive_seeds_are_not_solved():
    """A seed whose allocation is not used (``Context.active`` False: stopped, warming up, an idle slot of the
    batch) is not solved: the barrier's loops end at once for it and it keeps its starting point, while the
    active seeds of the batch get the same bits as in a batch where every seed is active. (Without the gating an
    idle slot's problem kept the whole batch in the loops: LATS on setup 1 hard, 100 seeds in a batch padded to
    112, ran 1.7x slower.) LATS's step (working sets, K = 7, d = 2: 84 vertex rows) and PTnS's two solves."""
    from bandits.exploration.lats import LATSState
    from bandits.exploration.ptns import ptns_rule
    K, d, S = 7, 2, 8
    rng = np.random.default_rng(5)
    ctxs, states = [], []
    while len(ctxs) < S:
        mu, A, b, verts, lp, alt = random_instance(rng, K, d, 0.3, 0.6, shift=0.02)
        if not bool(lp.feasible) or not bool(alt.any()):
            continue
        ctxs.append(Context(n=jnp.int32(300), counts=jnp.asarray(rng.integers(20, 60, K), jnp.int32),
                            mu_hat=jnp.asarray(mu), A_hat=jnp.asarray(A), b_shift=jnp.asarray(b + 0.02),
                            shift=jnp.asarray(0.02), sigma2=jnp.ones(K), r=jnp.asarray(0.0), verts=verts,
                            pi=lp.policy, alt=alt, active=jnp.asarray(True), pi_index=lp.index))
        states.append(LATSState(omega=jnp.asarray(rng.dirichlet(np.ones(K))), bound=jnp.asarray(0.05)))
    stack = lambda xs: jax.tree.map(lambda *a: jnp.stack(a), *xs)  # noqa: E731
    ctx, state = stack(ctxs), stack(states)
    act = np.arange(S) % 2 == 0
    for rule, st, start in [(lats_rule(), state, 0.5 * state.omega + 0.5 / K), (ptns_rule(), jnp.zeros(S), None)]:
        step = jax.jit(jax.vmap(rule.step))
        ref, _ = step(st, ctx)
        got, _ = step(st, ctx._replace(active=jnp.asarray(act)))
        assert np.array_equal(np.asarray(got)[act], np.asarray(ref)[act])
        if start is not None:  # LATS: an inactive seed keeps its start (the solved one moved away from it)
            assert np.allclose(np.asarray(got)[~act], np.asarray(start)[~act], rtol=0, atol=1e-12)
            assert np.abs(np.asarray(ref)[~act] - np.asarray(start)[~act]).max() > 1e-3
        else:  # PTnS: the unsolved BAI allocation and projection leave the uniform start
            assert not np.allclose(np.asarray(got)[~act], np.asarray(ref)[~act], atol=1e-6)


def test_kkt_solve_matches_the_dense_solve_and_flags_indefinite_matrices():
    """The barrier's Newton system [[H, E^T], [E, 0]] [u; y] = [r1; r2] by the unrolled Cholesky and the Schur
    complement (``solvers.kkt_solve``) against NumPy's dense solve of the whole system, on random positive
    definite H of the sizes the policies use (n = 2..14, p = 1..2; ill-conditioned ones included, as barrier
    Hessians near the boundary are), one batch under vmap; an indefinite H gives non-finite entries."""
    from bandits.exploration.solvers import cholesky_solve, kkt_solve
    rng = np.random.default_rng(7)
    for n in (3, 9, 14):
        for p in (1, 2):
            Hs, Es, r1s, r2s = [], [], [], []
            for i in range(16):
                Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
                eig = 10.0 ** rng.uniform(-6 if i % 2 else 0, 2, size=n)
                H = (Q * eig) @ Q.T
                dsc = 1.0 / np.sqrt(np.diag(H))  # unit diagonal, as the barrier scales it
                Hs.append(dsc[:, None] * H * dsc[None, :])
                Es.append(rng.normal(size=(p, n)))
                r1s.append(rng.normal(size=(n, 2)))
                r2s.append(rng.normal(size=(p, 2)))
            H, E, r1, r2 = map(np.array, (Hs, Es, r1s, r2s))
            got = np.asarray(jax.vmap(kkt_solve)(jnp.asarray(H), jnp.asarray(E), jnp.asarray(r1), jnp.asarray(r2)))
            for j in range(len(H)):
                kkt = np.block([[H[j], E[j].T], [E[j], np.zeros((p, p))]])
                want = np.linalg.solve(kkt, np.concatenate([r1[j], r2[j]]))[:n]
                # forward error of a backward-stable solve, for either method: eps cond |u| (the Schur route can
                # lose cond(H) on top of cond(KKT))
                scale = np.abs(want).max() * max(np.linalg.cond(kkt), np.linalg.cond(H[j]))
                assert np.abs(got[j] - want).max() <= 1e-13 * scale, (n, p, j)
            # cholesky_solve alone: H X = rhs
            x = np.asarray(jax.vmap(cholesky_solve)(jnp.asarray(H), jnp.asarray(r1)))
            np.testing.assert_allclose(np.einsum("bij,bjk->bik", H, x), r1, atol=1e-6)
    bad = np.diag([1.0, -1.0, 1.0])
    assert not np.isfinite(np.asarray(cholesky_solve(jnp.asarray(bad), jnp.ones((3, 1))))).all()


def test_elementwise_kernels_match_numpy():
    """The barrier's small products written as unrolled elementwise sums (``_mm``, ``_vm``, ``_outer_sum``) and
    its chunked log-barrier sum (``_neg_log_sum``: logarithms of products of LOG_CHUNK entries) against NumPy, on
    random rows of every length up to past two chunks (padding), with slacks from 1e-16 to 1e6 as barriers see
    them; a row holding a zero or negative slack (even two negatives, whose product is positive) gives +inf."""
    from bandits.exploration import solvers as S
    rng = np.random.default_rng(3)
    for a, k, b in [(1, 1, 1), (4, 7, 18), (9, 2, 9), (3, 12, 5)]:
        A, B = rng.normal(size=(a, k)), rng.normal(size=(k, b))
        np.testing.assert_allclose(np.asarray(S._mm(jnp.asarray(A), jnp.asarray(B))), A @ B, rtol=1e-13, atol=1e-13)
        w, U, V = rng.normal(size=a), rng.normal(size=(a, k)), rng.normal(size=(a, b))
        np.testing.assert_allclose(np.asarray(S._vm(jnp.asarray(w), jnp.asarray(U))), w @ U, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(np.asarray(S._outer_sum(jnp.asarray(U), jnp.asarray(V), jnp.asarray(w))),
                                   (U * w[:, None]).T @ V, rtol=1e-13, atol=1e-13)
    for n in range(0, 2 * S.LOG_CHUNK + 3):
        v = 10.0 ** rng.uniform(-16, 6, size=(5, n))
        want = -np.log(v).sum(-1)
        got = np.asarray(S._neg_log_sum(jnp.asarray(v)))
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-12)
        if n >= 2:
            bad = v.copy()
            bad[0, 0] = 0.0
            bad[1, n - 1] = -1e-3
            bad[2, :2] = -1.0  # two negatives: a positive product
            got = np.asarray(S._neg_log_sum(jnp.asarray(bad)))
            assert np.all(got[:3] == np.inf) and np.all(np.isfinite(got[3:])), n


def test_long_sums_run_blocked_and_equal_the_unrolled_chain(monkeypatch):
    """Sums over more than UNROLL_MAX terms (the all-rows solves: 1365 alternatives on imdb) run as a loop over
    blocks of the chain ((t_0 + t_1) + t_2) + ...: equal to rounding to the solver's unrolled chain (its threshold
    lifted) and to NumPy's sequential adds of the same products, jitted and vmapped, at lengths around the threshold
    and the block size (not bit for bit: XLA contracts a product and an add into one fused multiply-add where both
    land in one kernel, and where a long unrolled chain is cut into kernels is XLA's choice). The traced graph stays
    small (the point: XLA-CPU's compile time)."""
    from bandits.exploration import solvers as S
    rng = np.random.default_rng(11)
    lengths = [S.UNROLL_MAX + 1, S.UNROLL_MAX + S.UNROLL_BLOCK, 2 * S.UNROLL_MAX + 17, 1365]
    kernels = {"outer": lambda U, V, w: S._outer_sum(U, V, w), "vm": lambda U, V, w: S._vm(w, U),
               "mm": lambda U, V, w: S._mm(U.T, V), "neglog": lambda U, V, w: S._neg_log_sum(jnp.abs(w) + 0.5)}

    def chain(terms):
        acc = terms[0]
        for t in terms[1:]:
            acc = acc + t
        return acc

    for n in lengths:
        U, V, w = rng.normal(size=(3, n, 5)), rng.normal(size=(3, n, 4)), rng.normal(size=(3, n))
        args = tuple(jnp.asarray(x) for x in (U, V, w))
        got = {k: np.asarray(jax.jit(jax.vmap(f))(*args)) for k, f in kernels.items()}
        for s in range(3):  # NumPy: the same products, added in order (XLA contracts a product and an add into
            uw = U[s] * w[s][:, None]  # one fused multiply-add, so equal to rounding, not bit for bit)
            close = dict(rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got["outer"][s], chain([uw[i][:, None] * V[s, i][None, :] for i in range(n)]),
                                       **close)
            np.testing.assert_allclose(got["vm"][s], chain([w[s, i] * U[s, i] for i in range(n)]), **close)
            np.testing.assert_allclose(got["mm"][s], chain([U[s, i][:, None] * V[s, i][None, :] for i in range(n)]),
                                       **close)
        if n < 1000:  # the solver's own unrolled chain (at n = 1365 it takes half a minute to compile)
            with monkeypatch.context() as m:
                m.setattr(S, "UNROLL_MAX", 10 ** 6)
                unrolled = {k: np.asarray(jax.jit(jax.vmap(f))(*args)) for k, f in kernels.items()}
            for k in kernels:
                np.testing.assert_allclose(got[k], unrolled[k], rtol=1e-13, atol=1e-13, err_msg=f"{k} {n}")
        np.testing.assert_allclose(got["neglog"], -np.log(np.abs(w) + 0.5).sum(-1), rtol=1e-13)
    eqns = jax.make_jaxpr(kernels["outer"])(*(a[0] for a in args)).jaxpr.eqns  # n = 1365: ~8 equations a term
    scans = [e for e in eqns if e.primitive.name == "scan"]  # unrolled: none; blocked: a head, then one scan
    assert len(scans) == 1 and len(eqns) < 12 * S.UNROLL_BLOCK, len(eqns)  # unrolled: ~11,000
    assert len(scans[0].params["jaxpr"].jaxpr.eqns) < 12 * S.UNROLL_BLOCK


def test_working_set_neighbours_are_distinct_and_smallest_first():
    """``_working_set``'s neighbour rows against brute force: rows listed several times (a degenerate vertex reached
    from several bases) enter once, non-alternatives never, and when there are more distinct neighbours than
    places, those with the smallest gap2 enter (random rows with well-separated gap2, copies shuffled in; the
    float32 ordering key must keep copies together)."""
    from bandits.exploration.characteristic_time import MaxMinProblem, _working_set
    rng = np.random.default_rng(11)
    K, M = 7, 60
    for trial in range(20):
        base = 10 + rng.integers(0, 20)
        gap2 = rng.permutation(np.linspace(0.01, 1.0, base)) * 10.0 ** rng.uniform(-4, 2)
        coef = rng.uniform(0.1, 2.0, size=(base, K))
        copies = rng.integers(0, base, size=M - base)
        gap2, coef = np.concatenate([gap2, gap2[copies]]), np.concatenate([coef, coef[copies]])
        alt = rng.uniform(size=M) < 0.85
        prob = MaxMinProblem(gap2=jnp.asarray(gap2), coef=jnp.asarray(coef), alt=jnp.asarray(alt),
                             dom_A=jnp.zeros((0, K)), dom_b=jnp.zeros(0), pen_A=jnp.zeros((0, K)), pen_b=jnp.zeros(0),
                             bound=jnp.zeros(()))
        near = rng.permutation(M)[:48]
        near_count = int(rng.integers(3, 14))
        idx, mask = _working_set(prob, jnp.asarray(near), near_count, [], near_count)
        idx, mask = np.asarray(idx)[np.asarray(mask)], None
        keys = [(gap2[i], tuple(coef[i])) for i in idx]
        assert len(set(keys)) == len(keys), trial  # no copies
        assert alt[idx].all(), trial
        distinct = sorted({(gap2[i], tuple(coef[i])) for i in near if alt[i]})
        assert sorted(keys) == distinct[:near_count], trial


def test_penalty_variable_stays_bounded_without_a_multiplier():
    """With B = 0 the exact-penalty variable z has no cost, and only the row z < 2 v_max + 1 of ``_structured``
    keeps the barrier's centring finite (without it z doubled every Newton step, to ~1e7, and every stage ran to its
    step cap). The answer is then the max-min without the penalty."""
    from bandits.exploration.characteristic_time import _structured
    from bandits.exploration.solvers import structured_barrier
    rng = np.random.default_rng(21)
    K, d = 7, 2
    solve = jax.jit(lambda sp, x0, t0: structured_barrier(sp, x0, t0, stages=6, newton_steps=10, growth=16.0, tol=0.3,
                                                          mid_tol=0.3, rel_gap=5e-4, linear=True))
    done = 0
    for trial in range(6):
        mu, A, b, verts, lp, alt = random_instance(rng, K, d, 0.3, 0.6)
        if not bool(lp.feasible) or not bool(alt.any()):
            continue
        for B in (0.0, 0.3):
            prob = maxmin_problem(mu, jnp.ones(K), lp.policy, verts.points, alt, 0.0, pen_A=A, pen_b=b, bound=B)
            sp = _structured(prob, prob.gap2, prob.coef, prob.alt)
            w0 = jnp.full(K, 1.0 / K)
            d0 = float(jnp.min(jnp.where(prob.alt, prob.gap2 / (2 * (prob.coef @ (1 / w0))), jnp.inf)))
            v0 = max(float(jnp.max(A @ w0 - b)), 0.0)
            x0 = jnp.concatenate([w0, jnp.array([0.5 * d0, 1.1 * v0 + 1e-3])])
            res = solve(sp, x0, 20.0 / d0)
            v_max = max(float(np.max(np.asarray(A) - np.asarray(b)[:, None])), 0.0)
            assert 0 < float(res.x[K + 1]) < 2 * v_max + 1, (trial, B, res.x)
            if B == 0.0:
                free = maxmin_problem(mu, jnp.ones(K), lp.policy, verts.points, alt, 0.0)
                want = float(jax.jit(maxmin_allocation)(free, w0)[1])
                assert float(objective(free, res.x[:K])) >= want - 1e-3 * abs(want), trial
        done += 1
    assert done >= 4


def test_compacting_while_gives_each_seed_the_plain_loop():
    """``solvers.compacting_while`` under ``vmap`` (the batch narrows to the live seeds) against ``vmap`` of a plain
    ``lax.while_loop``: the same bits for every seed, at widths that narrow twice (1000 -> 128 -> 16), once, never
    (16), with some seeds inactive, with unbatched data, nested in ``lax.cond`` and under a second ``vmap``. The
    toy loop is chaotic (the logistic map), so a body applied once more or once less to a seed, or a seed's state
    written back to another, would change its answer; the iteration counts are heavy-tailed (a few seeds run
    5x longer than most, as the barrier's stragglers)."""
    from bandits.exploration.solvers import compacting_while, compaction_widths

    def cond(data, st):
        n, active, _ = data
        return (st[1] < n) & active

    def body(data, st):
        _, _, r = data
        x, i = st
        return r * x * (1.0 - x) + 1e-3 * jnp.sin(x * i), i + 1

    def plain(data, init):
        return jax.lax.while_loop(lambda s: cond(data, s), lambda s: body(data, s), init)

    def ours(data, init):
        return compacting_while(cond, body, data, init)

    rng = np.random.default_rng(3)
    for size in (1000, 100, 16, 1):
        n = jnp.asarray(np.minimum(rng.geometric(0.08, size) + rng.integers(0, 5, size), 200), jnp.int32)
        active = jnp.asarray(rng.random(size) < 0.9)
        r = jnp.asarray(rng.uniform(3.6, 3.99, size))
        x0 = jnp.asarray(rng.uniform(0.1, 0.9, size))
        init = (x0, jnp.zeros(size, jnp.int32))
        want = jax.jit(jax.vmap(plain))((n, active, r), init)
        got = jax.jit(jax.vmap(ours))((n, active, r), init)
        assert all(np.array_equal(a, b) for a, b in zip(want, got)), size
        assert np.array_equal(np.asarray(got[1]), np.where(np.asarray(active), np.asarray(n), 0))
        # unbatched data (one r, one cap for every seed)
        shared = lambda f: jax.jit(jax.vmap(f, in_axes=((None, None, None), 0)))  # noqa: E731
        want = shared(plain)((jnp.int32(60), jnp.bool_(True), jnp.float64(3.9)), init)
        got = shared(ours)((jnp.int32(60), jnp.bool_(True), jnp.float64(3.9)), init)
        assert all(np.array_equal(a, b) for a, b in zip(want, got)), size
    # inside lax.cond, under two vmaps (the outer one over 3 groups of 200 seeds)
    n = jnp.asarray(rng.geometric(0.05, (3, 200)), jnp.int32)
    r = jnp.asarray(rng.uniform(3.6, 3.99, (3, 200)))
    init = (jnp.asarray(rng.uniform(0.1, 0.9, (3, 200))), jnp.zeros((3, 200), jnp.int32))

    def in_cond(f):
        def one(data, st):
            return jax.lax.cond(data[0] > 0, lambda: f(data, st), lambda: st)
        return jax.jit(jax.vmap(jax.vmap(one)))

    act = jnp.ones((3, 200), bool)
    want, got = in_cond(plain)((n, act, r), init), in_cond(ours)((n, act, r), init)
    assert all(np.array_equal(a, b) for a, b in zip(want, got))
    assert compaction_widths(1000) == [1000, 128, 16] and compaction_widths(100) == [100, 16]
    assert compaction_widths(16) == [16] and compaction_widths(1) == [1]
