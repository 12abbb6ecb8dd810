"""Shared cases of the M-LCB tests: every meta-algorithm, two expert families, a per-round trace."""
from bandits.experts import (ed2rb, full_training, glm_experts, limited_advice, mflcb, mlcb, oracle_experts,
                             paper_oracle, round_robin)

T = 120


def policies(M):
    return {
        "mflcb": (mflcb(M), M, True),
        "mlcb_sn_random": (mlcb(M, bounds="self_normalized", ties="random"), M, True),
        "limited_advice": (limited_advice(M), M, True),
        "ed2rb": (ed2rb(c=0.1), 1, True),
        "round_robin": (round_robin(M), M, False),
        "full_training": (full_training(), None, True),
    }


def families():
    return {
        "glm": (glm_experts(), paper_oracle()),
        "oracle": (oracle_experts([0.1, 0.3, 0.35, 0.2, 0.5], [0.3, 0.2, 0.1, 0.4, 0.0], 0.5), None),
    }


def trace(pstate, estate, action, obs, z):
    return action, estate.experts, estate.counts, obs
