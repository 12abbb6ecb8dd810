# bandits-bench: `make demo` (set-up + a small real ATA experiment + figure + table), `make test`.
PYTHON  ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RESULTS ?= results
JOBS    ?= 2
RESUME  ?= false

.PHONY: install demo test test-slow test-all reproduce-ata report-ata reproduce-mlcb report-mlcb reproduce-lats report-lats reproduce-submodular report-submodular bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# A small but real ATA experiment (Table 1 setting, n = 17, 20 seeds x 1e5 rounds; ~20 s on 2 CPU cores),
# then its figure and table from the stored results.
demo: install
	rm -rf $(RESULTS)/demo
	$(BIN)/bandits-bench experiment=ata/figure1 experiment.env.n=17 experiment.horizon=100000 experiment.seeds=20 \
	    hydra.run.dir=$(RESULTS)/demo/figure1
	$(BIN)/bandits-bench-report $(RESULTS)/demo --figures $(RESULTS)/demo/figures --paper $(RESULTS)/demo/paper
	@echo "demo figure and table: $(RESULTS)/demo/figures/ata and $(RESULTS)/demo/paper/ata"

# tests run in TEST_JOBS processes (pytest-xdist), a test file per process at a time (module fixtures run once)
TEST_JOBS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile
test: install
	$(PYTEST)

test-slow: install
	$(PYTEST) -m slow

test-all: install
	$(PYTEST) -m "slow or not slow"

# Tables 1-2 and Figures 1-3 at the paper's settings (3e6 rounds, B = 23, 10 seeds), then the report.
# Tables 1 and 2 are read off the Figure 1 and 2 runs (same settings; see paper/ata/README.md).
# Work is split into (n, algorithm) jobs run JOBS at a time by the joblib launcher.
# RESUME=true keeps what an interrupted reproduction finished and runs only the rest.
SPLIT := 'experiment.algorithms=[ata],[ata_empirical],[gta],[uta,ofta]'
SWEEP := $(BIN)/bandits-bench -m hydra/launcher=joblib hydra.launcher.n_jobs=$(JOBS) runner.resume=$(RESUME)
reproduce-ata: install
	$(if $(filter true,$(RESUME)),,rm -rf $(RESULTS)/ata)
	$(SWEEP) experiment=ata/figure1 experiment.env.n=459,153,51,17 $(SPLIT) hydra.sweep.dir=$(RESULTS)/ata/figure1
	$(SWEEP) experiment=ata/figure2 experiment.env.n=153,51,17 $(SPLIT) hydra.sweep.dir=$(RESULTS)/ata/figure2
	$(SWEEP) experiment=ata/figure3 'experiment.algorithms=[ata],[ata_empirical]' hydra.sweep.dir=$(RESULTS)/ata/figure3
	$(MAKE) report-ata

# the repository's figures/ and paper/ are written only here (the report defaults to the results' directory)
report-ata: install
	$(BIN)/bandits-bench-report $(RESULTS)/ata --figures figures --paper paper

# M-LCB (Latypov et al.): Figure 2 (GLM experts) under each reading of spec section 9 (figure2: reading B with a
# common G = 1, the default; figure2_reading_a: c_R = 1; figure2_per_link_G: per-link G_i; figure2_reading_a_per_link_G:
# both), bandit experts, rates; ED2RB's tuning grid (the other four c) as a sweep beside every preset that runs it.
# PRESET_JOBS commands at a time (xargs), the longest first.
ED2RB_GRID := experiment.algorithms=[ed2rb] experiment.hyperparameters.ed2rb.c=0.01,0.03,0.3,1.0
PRESETS_mlcb := figure2 figure2_reading_a figure2_per_link_G figure2_reading_a_per_link_G bandit_experts
MLCB_RUNS := 'experiment=mlcb/rates hydra.run.dir=$(RESULTS)/mlcb/rates' \
    $(foreach p,$(PRESETS_mlcb),'experiment=mlcb/$(p) hydra.run.dir=$(RESULTS)/mlcb/$(p)/main' \
    '-m experiment=mlcb/$(p) $(ED2RB_GRID) hydra.sweep.dir=$(RESULTS)/mlcb/$(p)/ed2rb')
reproduce-mlcb: install
	$(if $(filter true,$(RESUME)),,rm -rf $(RESULTS)/mlcb)
	printf '%s\n' $(MLCB_RUNS) | xargs -P $(PRESET_JOBS) -L1 sh -c \
	    '$(BIN)/bandits-bench "$$@" $(OVERRIDES) runner.resume=$(RESUME)' bandits-bench
	$(MAKE) report-mlcb

report-mlcb: install
	$(BIN)/bandits-bench-report $(RESULTS)/mlcb --figures figures --paper paper

# LATS/LAGEX (Das, Basu) and the submodular study: every preset, then the report. At full size the LATS presets
# take hours on 2 cores (see paper/lats/README.md); OVERRIDES shrinks every preset alike, e.g. the stored
# reduced reproduction: make reproduce-lats OVERRIDES="runner.max_seeds=100 runner.max_horizon=20000".
# PRESET_JOBS presets run at once, longest first: one preset keeps ~1.2 of 2 cores busy, but two at once
# are memory-bound (imdb: 16.7 min alone, 29.0 min beside setup1_hard), so the gain is ~13 % at most.
# PRESET_ARGS_<paper>/<preset>: how to run one preset, never what (OVERRIDES come after and win). On imdb the
# explorers without a solver (LAGEX, CGE, CGE-WLag, Uniform) are bound by the [batch, 1365, 12] vertex arrays and
# run fastest in the narrowest batches, 16 seeds (LAGEX, 100 seeds: 5,254 / 3,567 seed-steps/s in batches of 16 /
# 112, 2026-12-02); the Track-and-Stop family, bound by its solver, in wide ones (100 seeds x 256 rounds, 16 / 112:
# CTnS-WLag 1,009 / 1,529, CTnS 2,416 / 3,052, PTnS 1,180 / 1,501; LATS 837 / 1,170 at 64 rounds), so they keep
# runner.batch_size (runner.batch_sizes: per algorithm). The batch size never changes a result (README, "Same bits
# at every batch width").
# (Each line handed to xargs -L1 is stripped: a line ending in a blank would be joined with the next.)
# TNS_EVERY=m: lazy updates (spec section 6) for the Track-and-Stop family (LATS, CTnS, CTnS-WLag, PTnS), whose
# barrier solve dominates the run: the allocation is recomputed every m rounds (stored in the hyperparameters
# column; the default 1 is the paper's every round). m = 10 made setup1_hard's TnS family 4.7x faster
# (paper/lats/README.md, "Lazy updates": what it does to the stopping times).
OVERRIDES ?=
PRESET_JOBS ?= 2
TNS_EVERY ?= 1
PRESETS_lats := stopping_rules setup1_hard imdb setup2_easy setup2_hard setup1_easy figure2 figure1
PRESETS_submodular := rate_T rate_T_usm rate_T_karate rate_T_karate_usm first_order rank usm_size curvature
PRESET_ARGS_lats/imdb := ++runner.batch_sizes={lagex:16,cge:16,cge_wlag:16,uniform:16}
comma := ,
space := $() $()
LAZY_lats := $(if $(filter-out 1,$(TNS_EVERY)),"++experiment.hyperparameters={$(subst $(space),$(comma),$(foreach a,lats ctns ctns_wlag ptns,$(a):{every:$(TNS_EVERY)}))}")
reproduce-lats reproduce-submodular: reproduce-%: install
	$(if $(filter true,$(RESUME)),,rm -rf $(RESULTS)/$*)
	printf '%s\n' $(foreach p,$(PRESETS_$*),'$(strip $(p) $(PRESET_ARGS_$*/$(p)))') | xargs -P $(PRESET_JOBS) -L1 sh -c \
	    '$(BIN)/bandits-bench experiment=$*/$$0 "$$@" $(LAZY_$*) $(OVERRIDES) runner.resume=$(RESUME) hydra.run.dir=$(RESULTS)/$*/$$0'
	$(MAKE) report-$*

# figures and tables from the stored results only, no simulation (results/lats is in the repository;
# results/submodular is written by reproduce-submodular)
report-lats report-submodular: report-%: install
	$(BIN)/bandits-bench-report $(RESULTS)/$* --figures figures --paper paper

# the numba peer is an optional extra (`bench`); without it its rows say "not installed"
bench: install
	$(BIN)/python -m pip install -q -e ".[test,bench]"
	$(BIN)/python benchmarks/$(or $(BENCH),ata).py $(BENCH_ARGS)

clean:
	rm -rf outputs multirun .pytest_cache
