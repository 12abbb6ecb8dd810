"""M-LCB paper: choose one of K self-learning experts per round while training at most M of them.

Experts are families stacked along a leading K axis (``family.ExpertFamily``:
GLM / OGD experts, UCB1 bandit experts, oracle experts with a prescribed
learning curve). The environment holds the experts and trains the ones the
meta-algorithm selects; the meta-algorithms (M-LCB / M-FLCB, LimitedAdvice,
ED2RB, round-robin, full training) are ``Policy`` factories over the learner's
view ``ExpertsKnown`` (the experts' regret bounds).
"""
from .confidence import BIG, RegretBound, anytime_regret
from .ed2rb import ed2rb
from .environment import ExpertAction, ExpertObs, ExpertsKnown, experts_env, known_of
from .family import ExpertFamily, train
from .full_training import full_training
from .glm import glm_experts, paper_oracle
from .limited_advice import limited_advice
from .mlcb import mflcb, mlcb
from .oracle import oracle_experts
from .round_robin import round_robin
from .ucb import BanditOracle, ucb_experts

__all__ = [
    "BIG", "RegretBound", "anytime_regret", "ed2rb", "ExpertAction", "ExpertObs", "ExpertsKnown", "experts_env",
    "known_of", "ExpertFamily", "train", "full_training", "glm_experts", "paper_oracle", "limited_advice", "mflcb",
    "mlcb", "oracle_experts", "round_robin", "BanditOracle", "ucb_experts",
]
