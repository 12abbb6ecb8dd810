"""The joint GLR of an LP basis when the constraint matrix is unknown (spec section 11).

The unknown parameter is theta = (mu, A): arm a has a reward mean mu_a (noise sd sigma_a) and a cost column
A_a in R^d (unit-variance noise), observed N_a times. The answer is an LP *basis* B = (R, S): the active
constraint rows R (|R| = k) and the support S (|S| = k + 1) of the vertex

    pi_B(A):  A[R, S] pi_S = b_R,  1^T pi_S = 1,  pi_a = 0 (a not in S).

B is the optimal basis of max {mu^T pi : A pi <= b, pi in Delta_K} while five kinds of inequality hold strictly;
the joint GLR of B is the weighted distance from the estimate to the nearest point where one of them fails:

    Z(B) = min over the conditions c of  inf_{theta' on surface c}  D(theta'),
    D(theta') = 1/2 sum_a N_a [ (mu'_a - mu_hat_a)^2 / sigma_a^2 + ||A'_a - A_hat_a||^2 ].

Each infimum has a closed form (the suite's derivation; ``tests/test_joint_glr.py`` checks every one against SciPy):

(P1) a basic variable reaches 0, pi_s = 0 (s in S): the system on the columns T = S - {s} and rows Q = R is
     consistent. For a fixed pi on T (1^T pi = 1) the cheapest A' moves column a by (pi_a / N_a) e(pi) /
     sum_b (pi_b^2 / N_b), at cost 1/2 ||e(pi)||^2 / sum_a (pi_a^2 / N_a), e(pi) = (b_Q 1^T - A_hat[Q, T]) pi;
     the ratio is homogeneous in pi, so
         inf = 1/2 sigma_min( (b_Q 1^T - A_hat[Q, T]) diag(sqrt N_T) )^2                      (P)
(P2) an inactive row i becomes active: the same with rows Q = R + {i} and columns T = S.
(S)  the basis matrix [A'[R, S]; 1^T] becomes singular: some w != 0 with 1^T w = 0 has A'[R, S] w = 0:
         inf = 1/2 min_{v perp sqrt N_S} ||A_hat[R, S] diag(sqrt N_S) v||^2 / ||v||^2            (S)
(D1) a multiplier y_j of an active row reaches 0 (j in R): mu'_S lies in the span of the rows R - {j} of A' and
     1, i.e. mu'_b = A'[Q, b]^T y + nu for b in T = S, Q = R - {j};
(D2) a reduced cost reaches 0 (a not in S): the same with Q = R and T = S + {a}.
     For fixed (y, nu) the cheapest (mu', A') moves arm b alone, at cost N_b rho_b^2 / (sigma_b^2 + ||y||^2)
     with the residual rho_b = mu_hat_b - A_hat[Q, b]^T y - nu, so
         inf = 1/2 min_{y, nu} sum_{b in T} N_b rho_b^2 / (sigma_b^2 + ||y||^2)                  (D)
     With one sd sigma on T this is a total-least-squares problem: in x = (y, nu, t), rho_b = h_b^T x with
     h_b = (-A_hat[Q, b], -1, mu_hat_b) and t = 1, so after nu is profiled out (a Schur complement) the
     infimum is 1/2 the smallest eigenvalue of the pencil (H', diag(1, ..., 1, sigma^2)). With unequal sds the
     largest sd of T stands for all of them: a lower bound on the infimum (a smaller statistic, so the rule
     stays valid; the suite's presets assume one sd for every arm).

With the true A known (CTnS, CGE) only mu moves: (P1), (P2) and (S) cannot happen, and (D) loses its
||y||^2 term (a weighted least-squares fit).

Every infimum is over the whole surface, not only the part that bounds the region where B is optimal: the
region's complement is the union of {condition fails}, and its closest point lies on one of the surfaces, so
the minimum over all of them is the distance to the complement. Shapes are static: every condition is padded
to P = min(d, K - 1) + 1 (the largest support) and the unused block of each small matrix is an identity times
distinct numbers above every singular value of the rest, so one SVD or eigen-solve size serves every basis.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.selection import first_k


class Basis(NamedTuple):
    """An LP basis as index lists padded to static lengths (valid entries first)."""

    support: jax.Array  # int32[P]   S, then padding
    rows: jax.Array  # int32[P]      R, then padding (P - 1 >= |R| = k)
    k: jax.Array  # int32 number of active constraint rows; |S| = k + 1
    in_support: jax.Array  # bool[K]
    in_rows: jax.Array  # bool[d]


def support_size(K: int, d: int) -> int:
    """P: the largest support of a vertex of {pi in Delta_K : A pi <= b} (k <= min(d, K - 1) active rows)."""
    return min(d, K - 1) + 1


def basis_sets(basis, K: int, d: int) -> Basis:
    """The basis (K - 1 active rows of G = [-I_K; A], ``polytope.subsets`` order) as support and active rows."""
    basis = jnp.asarray(basis)
    zero = jnp.zeros(K, bool).at[jnp.where(basis < K, basis, K)].set(True, mode="drop")
    rows = jnp.zeros(d, bool).at[jnp.where(basis >= K, basis - K, d)].set(True, mode="drop")
    P = support_size(K, d)
    return Basis(support=first_k(~zero, P), rows=first_k(rows, P) if d >= P else
                 jnp.concatenate([first_k(rows, d), jnp.zeros(P - d, jnp.int32)]),
                 k=rows.sum().astype(jnp.int32), in_support=~zero, in_rows=rows)


def _padded(M, valid_rows, valid_cols):
    """M [p, q] with its valid rows/columns first -> the square max(p, q) matrix whose valid block is M's and whose
    other diagonal entries exceed every singular value of that block (1 + 2 ||M||_F)."""
    p, q = M.shape
    n = max(p, q)
    M = jnp.pad(M, ((0, n - p), (0, n - q)))
    vr = jnp.pad(valid_rows, (0, n - p))
    vc = jnp.pad(valid_cols, (0, n - q))
    keep = vr[:, None] & vc[None, :]
    block = jnp.where(keep, M, 0.0)
    big = jax.lax.stop_gradient(1.0 + 2.0 * jnp.sqrt(jnp.sum(block * block)))  # a constant (sqrt'(0) = inf)
    eye = jnp.eye(n, dtype=M.dtype)
    # padding: a diagonal of distinct numbers above big where both the row and the column are padding (the callers
    # pad rows and columns at the same positions, so the matrix is a permuted block-diagonal one; distinct values
    # keep the derivatives of the singular values and eigenvalues finite)
    pad = (~vr[:, None] & ~vc[None, :]) & (eye > 0)
    return jnp.where(keep, M, jnp.where(pad, big * (1.0 + jnp.arange(n, dtype=M.dtype))[:, None], 0.0))


def _smallest_singular_value(M):
    return jnp.linalg.svd(M, compute_uv=False)[..., -1]


def _primal(A_hat, b, weights, Q, valid_q, T, valid_t):
    """(P): 1/2 sigma_min((b_Q 1^T - A_hat[Q, T]) diag(sqrt w_T))^2 over the valid rows Q and columns T
    (as many of each; none: +inf, nothing can move)."""
    C = (b[Q][:, None] - A_hat[Q][:, T]) * jnp.sqrt(weights[T])[None, :]
    s = _smallest_singular_value(_padded(C, valid_q, valid_t))
    return jnp.where(valid_q.any(), 0.5 * s * s, jnp.inf)


def _singular(A_hat, weights, basis: Basis, P: int):
    """(S): 1/2 min over v perp sqrt(w_S) of ||A_hat[R, S] diag(sqrt w_S) v||^2 / ||v||^2 (k = 0: +inf)."""
    valid_s = jnp.arange(P) < basis.k + 1
    valid_r = jnp.arange(P - 1) < basis.k
    u = jnp.where(valid_s, jnp.sqrt(weights[basis.support]), 0.0)  # [P]
    M = jnp.where(valid_r[:, None] & valid_s[None, :],
                  A_hat[basis.rows[:P - 1]][:, basis.support] * u[None, :], 0.0)  # [P-1, P]
    # Householder reflection H (H u = ||u|| e_0): its columns 1.. span u's orthogonal complement
    v = u.at[0].add(-jnp.sqrt(jnp.sum(u * u)))
    vv = jnp.sum(v * v)
    H = jnp.eye(P, dtype=M.dtype) - 2.0 * jnp.outer(v, v) / jnp.where(vv > 0, vv, 1.0)
    MH = (M @ H)[:, 1:]  # [P-1, P-1]; valid block k x k (padded coordinates: H is the identity there)
    s = _smallest_singular_value(_padded(MH, valid_r, jnp.arange(P - 1) < basis.k))
    return jnp.where(basis.k > 0, 0.5 * s * s, jnp.inf)


def _dual(mu_hat, A_hat, sigma2, weights, Q, valid_q, T, valid_t, known_A: bool):
    """(D): 1/2 min_{y, nu} sum_{b in T} w_b (mu_hat_b - A_hat[Q, b]^T y - nu)^2 / (s^2 + ||y||^2), s^2 the largest
    sigma_b^2 of T (with the true A known: ||y||^2 drops out and s^2 is sigma_b^2 itself, exactly)."""
    dt = mu_hat.dtype
    q = Q.shape[0]
    w = jnp.where(valid_t, weights[T], 0.0)
    s2 = jnp.max(jnp.where(valid_t, sigma2[T], 0.0))
    if known_A:
        w = jnp.where(valid_t, w / jnp.where(valid_t, sigma2[T], 1.0), 0.0)
    Aq = jnp.where(valid_q[:, None], A_hat[Q][:, T], 0.0)  # [q, |T|]
    h = jnp.concatenate([-Aq, -jnp.ones((1, T.shape[0]), dt), mu_hat[T][None, :]], axis=0)  # [q + 2, |T|]
    H = (h * w[None, :]) @ h.T  # [q + 2, q + 2], coordinates (y, nu, t)
    zi = [i for i in range(q + 2) if i != q]  # (y, t): nu profiled out
    Hz = H[jnp.array(zi)][:, jnp.array(zi)]
    hn = H[jnp.array(zi), q]
    Hs = Hz - jnp.outer(hn, hn) / jnp.where(H[q, q] > 0, H[q, q], 1.0)  # Schur complement [q + 1, q + 1]
    valid_z = jnp.concatenate([valid_q, jnp.ones(1, bool)])
    if known_A:  # min over y of [y; 1]^T Hs [y; 1]: the Schur complement of the y block
        Hy = jnp.where(valid_q[:, None] & valid_q[None, :], Hs[:q, :q], jnp.eye(q, dtype=dt))
        g = jnp.where(valid_q, Hs[:q, q], 0.0)
        val = Hs[q, q] - g @ jnp.linalg.solve(Hy, g) if q > 0 else Hs[q, q]
    else:  # smallest eigenvalue of E^{-1/2} Hs E^{-1/2}, E = diag(1 (y), s^2 (t))
        e = jnp.concatenate([jnp.ones(q, dt), jnp.sqrt(s2)[None]])
        Hn = Hs / (e[:, None] * e[None, :])
        val = jnp.linalg.eigvalsh(_padded(Hn, valid_z, valid_z))[0]
    return 0.5 * jnp.maximum(val, 0.0)


class Conditions(NamedTuple):
    """The infimum of every condition of a basis (+inf where a slot is not a condition of this basis)."""

    basic_zero: jax.Array  # [P]  (P1), one per support slot
    row_active: jax.Array  # [d]  (P2), one per constraint row
    singular: jax.Array  # scalar (S)
    multiplier: jax.Array  # [P - 1] (D1), one per active-row slot
    reduced_cost: jax.Array  # [K] (D2), one per arm


def conditions(mu_hat, A_hat, b, sigma2, weights, basis, known_A: bool = False) -> Conditions:
    """Every infimum of the module docstring for the basis ``basis`` (int32[K - 1] rows of [-I; A]) at the estimate
    (mu_hat [K], A_hat [d, K]) with weights N (pull counts, or an allocation omega). The cases of each kind are
    stacked and solved by one batched SVD or eigen-solve."""
    d, K = A_hat.shape
    P = support_size(K, d)
    B = basis_sets(basis, K, d)
    weights = jnp.asarray(weights, mu_hat.dtype)
    slots = jnp.arange(P)
    valid_s = slots < B.k + 1
    valid_r = slots < B.k
    rows_k, valid_rows_k = B.rows[:P - 1], valid_r[:P - 1]
    inf = jnp.asarray(jnp.inf, mu_hat.dtype)
    others = jnp.asarray([[i for i in range(P) if i != j] for j in range(P)], jnp.int32)  # [P, P-1]
    if known_A:
        basic_zero, row_active, singular = jnp.full(P, inf), jnp.full(d, inf), inf
    else:
        # (P1) pi_{S_j} = 0: columns S - {S_j} (k valid, first), rows R
        cols = B.support[others]  # [P, P-1]
        primal = jax.vmap(_primal, in_axes=(None, None, None, None, None, 0, None))
        basic_zero = jnp.where(valid_s, primal(A_hat, b, weights, rows_k, valid_rows_k, cols, valid_rows_k), inf)
        # (P2) row i joins R: rows R + {i} (slot k), columns S
        Q = jnp.where(slots[None, :] < B.k, B.rows[None, :],
                      jnp.where(slots[None, :] == B.k, jnp.arange(d)[:, None], 0)).astype(jnp.int32)  # [d, P]
        primal = jax.vmap(_primal, in_axes=(None, None, None, 0, None, None, None))
        row_active = jnp.where(B.in_rows, inf, primal(A_hat, b, weights, Q, slots < B.k + 1, B.support, valid_s))
        singular = _singular(A_hat, weights, B, P)
    # (D1) y_{R_j} = 0: rows R - {R_j} (k - 1 valid), arms S; (D2) arm a joins S: rows R, arms S + {a}.
    # Both as rows [P - 1] and arms [P + 1] with masks, stacked: P - 1 multipliers, then K arms.
    drop = jnp.concatenate([B.rows[others[:P - 1, :P - 2]], jnp.zeros((P - 1, 1), jnp.int32)], axis=1)  # [P-1, P-1]
    Qd = jnp.concatenate([drop, jnp.broadcast_to(rows_k, (K, P - 1))])
    valid_qd = jnp.concatenate([jnp.broadcast_to(jnp.arange(P - 1) < B.k - 1, (P - 1, P - 1)),
                                jnp.broadcast_to(valid_rows_k, (K, P - 1))])
    arms = jnp.arange(K, dtype=jnp.int32)
    Td = jnp.concatenate([jnp.broadcast_to(jnp.concatenate([B.support, jnp.zeros(1, jnp.int32)]), (P - 1, P + 1)),
                          jnp.concatenate([jnp.where(valid_s[None, :], B.support[None, :], arms[:, None]),
                                           arms[:, None]], axis=1)])
    valid_td = jnp.concatenate([jnp.broadcast_to(jnp.concatenate([valid_s, jnp.zeros(1, bool)]), (P - 1, P + 1)),
                                jnp.broadcast_to(jnp.concatenate([valid_s, jnp.ones(1, bool)]), (K, P + 1))])
    dual = jax.vmap(_dual, in_axes=(None, None, None, None, 0, 0, 0, 0, None))
    vals = dual(mu_hat, A_hat, sigma2, weights, Qd, valid_qd, Td, valid_td, known_A)
    multiplier = jnp.where(valid_r[:P - 1], vals[:P - 1], inf)
    reduced_cost = jnp.where(B.in_support, inf, vals[P - 1:])
    return Conditions(basic_zero=basic_zero, row_active=row_active, singular=singular, multiplier=multiplier,
                      reduced_cost=reduced_cost)


def statistic(mu_hat, A_hat, b, sigma2, weights, basis, known_A: bool = False):
    """Z(B): the smallest infimum over the conditions of the basis (the joint GLR statistic with N = weights)."""
    c = conditions(mu_hat, A_hat, b, sigma2, weights, basis, known_A)
    return jnp.min(jnp.concatenate([c.basic_zero, c.row_active, c.singular[None], c.multiplier, c.reduced_cost]))
