"""Entry points: run experiment presets (Hydra) and draw figures/tables from stored results."""
