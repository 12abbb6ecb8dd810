"""``bandits-bench --list``: the presets by paper, each paper's algorithms with their hyperparameters and
defaults, and the launchers, all read from the configs and the registries (nothing here is a hand-written list).
"""
from __future__ import annotations

import inspect
from pathlib import Path

REQUIRED = "(required)"


def hyperparameters(algorithm) -> list[tuple[str, object]]:
    """(name, default or ``REQUIRED``) of each keyword argument the algorithm's builder accepts."""
    params = list(inspect.signature(algorithm.build).parameters.values())[1 + algorithm.sees_oracle:]
    return [(p.name, REQUIRED if p.default is p.empty else p.default) for p in params
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def presets(search: list[Path]) -> list[dict]:
    """Every preset of the config folders in ``search`` composed: name, paper, description, plugins."""
    from hydra import compose, initialize_config_dir

    from experiments.run import CONFIG_DIR, available

    extra = [f"hydra.searchpath=[{','.join('file://' + str(d) for d in search[:-1])}]"] if len(search) > 1 else []
    out = []
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        for name in available("experiment", search):
            try:
                exp = compose("config", overrides=extra + [f"experiment={name}"]).experiment
                out.append(dict(name=name, paper=str(exp.get("paper", "?")), description=str(exp.get("description")
                                                                                            or ""),
                                plugins=list(exp.get("plugins") or [])))
            except Exception as e:  # noqa: BLE001 -- a broken user preset is listed with its reason, not fatal
                out.append(dict(name=name, paper="?", description=f"(does not compose: {str(e).splitlines()[0]})",
                                plugins=[]))
    return out


def launchers(search: list[Path]) -> list[tuple[str, str]]:
    """(name, what it is) of every launcher ``hydra/launcher=<name>`` accepts."""
    import importlib.util

    from experiments.run import BUILTIN_LAUNCHERS, available

    what = {"basic": "Hydra's default: the jobs of a -m sweep one after another, in this process",
            "joblib": "the jobs in parallel processes on this machine (hydra.launcher.n_jobs=N)",
            "submitit_local": "submitit's local executor: each job in its own process",
            "submitit_slurm": "a Slurm cluster through submitit"}
    installed = {"joblib": "hydra_plugins.hydra_joblib_launcher",
                 "submitit_local": "hydra_plugins.hydra_submitit_launcher",
                 "submitit_slurm": "hydra_plugins.hydra_submitit_launcher"}
    out = []
    for name in sorted(set(BUILTIN_LAUNCHERS) | set(available("hydra/launcher", search))):
        text = what.get(name, "")
        for root in search:
            f = root / "hydra" / "launcher" / f"{name}.yaml"
            if f.exists():
                first = next((line.lstrip("# ").strip() for line in f.read_text().splitlines() if line.strip()), "")
                first = first.split(":")[0]  # the comment's first phrase
                text = f"{f.relative_to(root)}: {first}"
                break
        mod = installed.get(name)
        try:
            missing = mod is not None and importlib.util.find_spec(mod) is None
        except ModuleNotFoundError:
            missing = True
        if missing:
            text += " (not installed)"
        out.append((name, text))
    return out


def listing(search: list[Path]) -> str:
    from bandits.core.experiment import discover_papers
    from experiments.run import load_plugins

    papers = discover_papers()
    found = presets(search)
    origin = {}  # (paper, algorithm) or (paper, None) -> the plugin module that registered it
    for mod in sorted({p for x in found for p in x["plugins"]}):
        before = {(n, a) for n in papers.names() for a in papers.get(n).algorithms.in_order()} | \
            {(n, None) for n in papers.names()}
        try:
            load_plugins([mod])
        except Exception as e:  # noqa: BLE001 -- list what we can
            print(f"warning: {e}")
            continue
        after = {(n, a) for n in papers.names() for a in papers.get(n).algorithms.in_order()} | \
            {(n, None) for n in papers.names()}
        origin.update({key: mod for key in after - before})
    lines = ["Presets: bandits-bench experiment=<preset> (add runner=smoke for a run of seconds)", ""]
    names = papers.names()
    for name in names + sorted({x["paper"] for x in found} - set(names)):
        title = papers.get(name).title if name in papers else "(paper not registered)"
        mine = [x for x in found if x["paper"] == name]
        if not mine:
            continue
        lines.append(f"{name}: {title}")
        width = max(len(x["name"]) for x in mine)
        for x in mine:
            plug = f" [plugin: {', '.join(x['plugins'])}]" if x["plugins"] else ""
            lines.append(f"  {x['name']:<{width}}  {x['description']}{plug}")
        lines.append("")
    lines += ["Algorithms: experiment.algorithms=[a,b,...]; hyperparameters: "
              "'+experiment.hyperparameters.<algorithm>.<name>=<value>' (None: derived from the problem or unused)",
              ""]
    for name in papers.names():
        paper = papers.get(name)
        plug = f"; a paper of plugin {origin[(name, None)]}" if (name, None) in origin else ""
        lines.append(f"{name} (reference: {paper.reference or '-'}; {paper.mode} mode{plug})")
        width = max((len(a) for a in paper.algorithms.in_order()), default=0)
        for a in paper.algorithms.in_order():
            algo = paper.algorithms.get(a)
            hp = ", ".join(f"{k}={v!r}" if v is not REQUIRED else f"{k} {REQUIRED}" for k, v in hyperparameters(algo))
            notes = [algo.display or a]
            if algo.sees_oracle:
                notes.append("sees the oracle")
            if (name, a) in origin and (name, None) not in origin:
                notes.append(f"plugin {origin[(name, a)]}")
            lines.append(f"  {a:<{width}}  {'; '.join(notes)}: {hp or '(no hyperparameters)'}")
        lines.append("")
    lines += ["Launchers: bandits-bench -m hydra/launcher=<name> ... (a sweep's jobs; seeds are vectorised inside each)",
              ""]
    launch = launchers(search)
    width = max(len(n) for n, _ in launch)
    lines += [f"  {n:<{width}}  {t}" for n, t in launch]
    return "\n".join(lines) + "\n"
