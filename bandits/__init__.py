"""A JAX benchmark suite for bandit algorithms: one runner, many papers."""
__version__ = "0.1.0"
