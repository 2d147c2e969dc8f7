"""CostTable: every (layer, chiplet class, mini-batch) cost a scenario needs, as numpy arrays.

The search layers query only this. For one mini-batch size the table evaluates the scenario's
distinct layer shapes (``Layer.shape_key`` at the batched ``N``; a GPT-2 repeats the same shapes
many times) on every chiplet class in one batch call (:func:`mcmsched.cost.batch.evaluate_layers`)
and scatters the results back to ``[n_layers, n_classes]`` arrays per model.

Results are cached in memory and on disk: one ``.npz`` file per (scenario layers, package
classes) content hash under the cache directory (``cache_dir`` argument, else the environment
variable ``MCMSCHED_CACHE_DIR``, else ``~/.cache/mcmsched``). The hash covers the cost-model
version, every class parameter (dataflow directives, PEs, buffers, bandwidths, clock, energies) and
every layer's shape, so a stale file is never read; deleting the directory is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from mcmsched.cost.batch import COST_MODEL_VERSION, BatchCosts, Orientation, evaluate_layers
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.package import Package
from mcmsched.workload.layer import Layer
from mcmsched.workload.scenario import Scenario


@dataclass(frozen=True)
class ModelCosts:
    """Costs of one model's layers at one mini-batch size; arrays are ``[n_layers, n_classes]``
    with classes in ``Package.class_names`` order."""

    compute_s: np.ndarray  # seconds
    energy_j: np.ndarray  # joules (on-chiplet: MAC + L1 + L2)
    cycles: np.ndarray  # chiplet cycles
    l2_bytes: np.ndarray  # L2 bytes the mapping needs
    weight_bytes: np.ndarray  # [n_layers] trained weight bytes
    input_bytes: np.ndarray  # [n_layers] input activation bytes (per mini-batch)
    output_bytes: np.ndarray  # [n_layers] output activation bytes (per mini-batch)
    macs: np.ndarray | None = None  # MACs the mapping counts
    bound_cycles: np.ndarray | None = None  # roofline lower bound, cycles
    bound: np.ndarray | None = None  # which bound holds: compute / noc / memory (str)
    mapping: np.ndarray | None = None  # searched directive text ("" = dataflow as written)


def default_cache_dir() -> Path:
    """``$MCMSCHED_CACHE_DIR`` if set, else ``~/.cache/mcmsched``."""
    env = os.environ.get("MCMSCHED_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "mcmsched"


def class_fingerprint(cls: ChipletClass) -> str:
    """Everything about a chiplet class that changes its layer costs, as text."""
    e = cls.energy
    return "|".join(
        [
            cls.name,
            cls.dataflow.to_text(),
            str(cls.n_pes),
            str(cls.l1_bytes),
            str(cls.l2_bytes),
            repr(float(cls.noc_bw)),
            repr(float(cls.mem_bw)),
            repr(float(cls.clock_hz)),
            repr((e.mac_pj, e.l1_factor, e.l2_factor)),
            f"mapping={cls.mapping}",
            f"objective={cls.objective}",
        ]
    )


def _content_hash(scenario: Scenario, package: Package, orientation: str) -> str:
    h = hashlib.sha256()
    h.update(COST_MODEL_VERSION.encode())
    h.update(f"orientation={orientation}\0".encode())
    for name in package.class_names:
        h.update(class_fingerprint(package.classes[name]).encode())
        h.update(b"\0")
    for entry in scenario.entries:
        h.update(b"model\0")
        for ly in entry.model.layers:
            h.update(repr(ly.shape_key).encode())
            h.update(b"\0")
    return h.hexdigest()[:32]


@dataclass
class CostTable:
    """Table of layer costs for ``scenario`` on ``package``, filled per mini-batch size on first
    use (or by :meth:`precompute`) and cached in memory and on disk (``use_disk_cache``).
    ``orientation``: how layers meet each class's dataflow (:data:`~mcmsched.cost.batch.
    Orientation`; default ``"best"``, the mapper picks the better of a layer and its transpose).
    """

    scenario: Scenario
    package: Package
    cache_dir: Path | None = None
    use_disk_cache: bool = True
    orientation: Orientation = "best"
    _mb: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _model_cache: dict[tuple[int, int], ModelCosts] = field(default_factory=dict, repr=False)
    _key: str = field(default="", repr=False)
    _loaded: bool = field(default=False, repr=False)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.package.class_names

    @property
    def cache_key(self) -> str:
        """Content hash of the scenario's layer shapes and the package's classes."""
        if not self._key:
            self._key = _content_hash(self.scenario, self.package, self.orientation)
        return self._key

    @property
    def cache_path(self) -> Path:
        """The ``.npz`` file holding this table's costs on disk."""
        base = self.cache_dir if self.cache_dir is not None else default_cache_dir()
        return Path(base) / f"costs-{self.cache_key}.npz"

    # ---- disk cache --------------------------------------------------------------------------
    def _load(self) -> None:
        self._loaded = True
        if not self.use_disk_cache:
            return
        path = self.cache_path
        try:
            with np.load(path, allow_pickle=False) as data:
                for key in data.files:
                    mb_s, _, name = key.partition("/")
                    self._mb.setdefault(int(mb_s), {})[name] = data[key]
        except (OSError, ValueError, KeyError):
            self._mb.clear()  # missing or unreadable cache: recompute

    def _save(self) -> None:
        if not self.use_disk_cache:
            return
        path = self.cache_path
        arrays = {f"{mb}/{k}": v for mb, d in self._mb.items() for k, v in d.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                cast(Any, np.savez)(f, **arrays)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache directory only costs speed

    # ---- evaluation --------------------------------------------------------------------------
    def _batched_layers(self, minibatch: int) -> list[Layer]:
        return [
            ly.with_batch(ly.N * minibatch) for e in self.scenario.entries for ly in e.model.layers
        ]

    def precompute(self, minibatches: list[int] | tuple[int, ...]) -> None:
        """Evaluate every layer of the scenario on every class for each of ``minibatches`` (one
        batch call per size) and write the disk cache once."""
        if not self._loaded:
            self._load()
        todo = [mb for mb in dict.fromkeys(minibatches) if mb not in self._mb]
        if not todo:
            return
        classes = [self.package.classes[n] for n in self.class_names]
        # one batch call for every mini-batch size: the analysis (and the mapping search)
        # vectorises over more rows at once
        per_mb = [self._batched_layers(mb) for mb in todo]
        res = evaluate_layers(
            [ly for lys in per_mb for ly in lys], classes, orientation=self.orientation
        )
        start = 0
        for mb, lys in zip(todo, per_mb, strict=True):
            sl = slice(start, start + len(lys))
            start += len(lys)
            part = [bc.take(sl) for bc in res]
            self._mb[mb] = _pack(part, classes)
        self._save()

    def _arrays(self, minibatch: int) -> dict[str, np.ndarray]:
        if not self._loaded:
            self._load()
        if minibatch not in self._mb:
            self.precompute([minibatch])
        return self._mb[minibatch]

    def model_costs(self, model_idx: int, minibatch: int) -> ModelCosts:
        """Costs of model ``model_idx``'s layers with ``minibatch`` samples processed at once."""
        key = (model_idx, minibatch)
        hit = self._model_cache.get(key)
        if hit is not None:
            return hit
        arr = self._arrays(minibatch)
        start = sum(len(e.model.layers) for e in self.scenario.entries[:model_idx])
        model = self.scenario.entries[model_idx].model
        sl = slice(start, start + len(model.layers))
        mc = ModelCosts(
            compute_s=arr["compute_s"][sl],
            energy_j=arr["energy_j"][sl],
            cycles=arr["cycles"][sl],
            l2_bytes=arr["l2_bytes"][sl],
            weight_bytes=np.array([ly.weight_bytes() for ly in model.layers], dtype=float),
            input_bytes=np.array(
                [ly.input_bytes() * minibatch for ly in model.layers], dtype=float
            ),
            output_bytes=np.array(
                [ly.output_bytes() * minibatch for ly in model.layers], dtype=float
            ),
            macs=arr["macs"][sl] if "macs" in arr else None,
            bound_cycles=arr["bound_cycles"][sl] if "bound_cycles" in arr else None,
            bound=arr["bound"][sl] if "bound" in arr else None,
            mapping=arr["mapping"][sl] if "mapping" in arr else None,
        )
        self._model_cache[key] = mc
        return mc


def _pack(res: list[BatchCosts], classes: list[ChipletClass]) -> dict[str, np.ndarray]:
    cycles = np.stack([r.cycles for r in res], axis=1)
    clocks = np.array([c.clock_hz for c in classes], dtype=float)
    energy = np.stack([r.energy_pj for r in res], axis=1) * 1e-12
    l2 = np.stack([r.l2_bytes for r in res], axis=1).astype(float)
    out = {
        "cycles": cycles,
        "compute_s": cycles / clocks[None, :],
        "energy_j": energy,
        "l2_bytes": l2,
        "macs": np.stack([r.macs for r in res], axis=1).astype(float),
    }
    bounds = [r.bound_cycles for r in res]
    kinds = [r.bound for r in res]
    maps = [r.mapping for r in res]
    if all(b is not None for b in bounds) and all(k is not None for k in kinds):
        out["bound_cycles"] = np.stack(cast(list[np.ndarray], bounds), axis=1).astype(float)
        out["bound"] = np.stack(cast(list[np.ndarray], kinds), axis=1).astype(str)
    if all(m is not None for m in maps):
        out["mapping"] = np.stack(cast(list[np.ndarray], maps), axis=1).astype(str)
    return out
