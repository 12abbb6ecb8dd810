"""LATS / LAGEX analysis (figures and tables from stored results)."""
