"""Analysis of the online-submodular study (figures, claims, README from stored results)."""
