"""Command-line overrides of a checked scenario file (``mcmsched run --objective ... --batch M=N``).

:func:`apply_overrides` returns a new :class:`~mcmsched.runner.config.RunConfig` with the given
fields replaced and checked as the file's own values are (unknown strategy or objective, a batch
for a model the scenario does not have, a package the strategy cannot run on): every mistake is
one :class:`MCMSchedError` naming the command-line option. Paths given on the command line
(``--package FILE``) are relative to the current working directory; paths inside a YAML file stay
relative to that file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from mcmsched.errors import MCMSchedError
from mcmsched.runner.config import RunConfig, check_strategy_fits, resolve_package
from mcmsched.search.objective import NAMED as OBJECTIVES
from mcmsched.search.registry import list_strategies
from mcmsched.workload.scenario import Scenario


def parse_batches(pairs: Sequence[str] | None) -> dict[str, int]:
    """``["resnet50=4", "gpt2-small=2"]`` -> ``{"resnet50": 4, "gpt2-small": 2}`` (``--batch``)."""
    out: dict[str, int] = {}
    for pair in pairs or []:
        name, sep, value = pair.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise MCMSchedError(f"{pair!r} is not of the form MODEL=N", field="--batch")
        try:
            n = int(value.strip())
        except ValueError:
            raise MCMSchedError(
                f"{pair!r}: the batch must be a positive integer", field="--batch"
            ) from None
        if n <= 0:
            raise MCMSchedError(f"{pair!r}: the batch must be a positive integer", field="--batch")
        if name in out:
            raise MCMSchedError(f"model '{name}' is given twice", field="--batch")
        out[name] = n
    return out


def apply_overrides(
    cfg: RunConfig,
    *,
    strategy: str | None = None,
    objective: str | None = None,
    package: str | None = None,
    seed: int | None = None,
    batch: Mapping[str, int] | None = None,
    base_dir: Path | None = None,
) -> RunConfig:
    """``cfg`` with the given fields replaced. ``package`` is a preset name or a hardware YAML
    path relative to ``base_dir`` (default: the current working directory); ``batch`` maps model
    names (as the run table shows them) to batch sizes."""
    out = cfg
    if strategy is not None:
        names = [n for n, _ in list_strategies()]
        if strategy.lower() not in names:
            raise MCMSchedError(
                f"unknown strategy '{strategy}' (valid: {', '.join(names)})", field="--strategy"
            )
        out = replace(out, strategy=strategy.lower())
    if objective is not None:
        if objective.lower() not in OBJECTIVES:
            raise MCMSchedError(
                f"unknown objective '{objective}' (valid: {', '.join(OBJECTIVES)})",
                field="--objective",
            )
        out = replace(out, objective=objective.lower())
    if seed is not None:
        if seed < 0:
            raise MCMSchedError(f"must be >= 0, got {seed}", field="--seed")
        out = replace(out, options=replace(out.options, seed=seed))
    if batch:
        known = [e.model.name for e in out.scenario.entries]
        unknown = [n for n in batch if n not in known]
        if unknown:
            raise MCMSchedError(
                f"no model '{unknown[0]}' in the scenario (models: {', '.join(known)})",
                field="--batch",
            )
        entries = tuple(
            replace(e, batch=batch[e.model.name]) if e.model.name in batch else e
            for e in out.scenario.entries
        )
        out = replace(out, scenario=Scenario(out.scenario.name, entries))
    if package is not None:
        where = base_dir if base_dir is not None else Path.cwd()
        pkg, label = resolve_package(package, where, None, "--package")
        out = replace(out, package=pkg, package_label=label)
    if out is not cfg:
        try:
            check_strategy_fits(out)
        except MCMSchedError as err:
            opt = "--package" if package is not None else "--strategy"
            raise MCMSchedError(err.reason, file=err.file, field=opt) from None
    return out


__all__ = ["apply_overrides", "parse_batches"]
