"""Analysis of the ATA paper: figures and tables drawn from stored results."""
