"""Analysis of the M-LCB paper (figures, tables and README from stored results)."""
