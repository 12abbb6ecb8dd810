"""Published numbers of Maranjyan et al., ICML 2025 (single runs; Tables 1 and 2)."""

ALGOS = ("ata", "ata_empirical", "ofta")
_COLUMNS = [("worker_time_ratio", a) for a in ALGOS] + [("runtime_ratio", a) for a in ALGOS]


def _rows(table):
    """n -> [TT ATA, TT ATA-E, TT OFTA, RT ATA, RT ATA-E, RT OFTA] into n -> {(metric, algorithm): value}."""
    return {n: dict(zip(_COLUMNS, values)) for n, values in table.items()}


# worker_time_ratio = GTA / X, runtime_ratio = X / GTA (paper's column order)
TABLE1 = _rows({
    17: [1.3, 1.26, 1.26, 1.73, 1.75, 1.74],
    51: [2.91, 2.69, 3.03, 2.43, 2.45, 2.17],
    153: [7.22, 7.02, 9.1, 3.44, 3.14, 2.17],
    459: [12.45, 14.1, 27.3, 6.36, 5.51, 2.17],
})
TABLE2 = _rows({
    17: [2.32, 1.91, 2.1, 1.71, 1.71, 1.58],
    51: [6.71, 5.02, 6.29, 3.27, 2.12, 1.58],
    153: [3.41, 8.68, 18.87, 7.96, 4.5, 1.58],
})

# which stored problems each table / figure is read from (selected by the stored columns law, base, power, B)
SETTINGS = {
    "table1": dict(law="shifted_exponential", base=29.0, power=0.5, B=23, paper=TABLE1),
    "table2": dict(law="shifted_exponential", base=29.0, power=1.0, B=23, paper=TABLE2),
    "figure1": dict(law="shifted_exponential", base=29.0, power=0.5, B=23),
    "figure2": dict(law="shifted_exponential", base=29.0, power=1.0, B=23),
    "figure3": dict(law="exponential", base=2.0, power=1.0, B=5),
}
