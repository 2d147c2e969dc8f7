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

import dataclasses
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from mcmsched.cost import mapping_store
from mcmsched.cost.batch import COST_MODEL_VERSION, BatchCosts, Orientation, evaluate_layers
from mcmsched.cost.fingerprint import class_fingerprint, default_cache_dir
from mcmsched.errors import MCMSchedError
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
    #: [n_layers, n_classes] False where the class cannot hold the layer; there compute_s and
    #: energy_j hold a penalty (:data:`INFEASIBLE_PENALTY` x the table's total) that no
    #: feasible schedule reaches, so the search avoids it. None: every class holds every layer.
    feasible: np.ndarray | None = None


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
    def cache_folder(self) -> Path:
        """Where this table's disk caches live: ``cache_dir``, else the default folder."""
        return Path(self.cache_dir) if self.cache_dir is not None else default_cache_dir()

    @property
    def cache_path(self) -> Path:
        """The ``.npz`` file holding this table's costs on disk."""
        return self.cache_folder / f"costs-{self.cache_key}.npz"

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
        # vectorises over more rows at once; a (layer, class) the class cannot hold is skipped
        per_mb = [self._batched_layers(mb) for mb in todo]
        with mapping_store.location(self.cache_folder, enabled=self.use_disk_cache):
            res, _ = _evaluate_or_skip(
                [ly for lys in per_mb for ly in lys], classes, self.orientation
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

    def _check_some_class_fits(self, model_idx: int, minibatch: int, ok: np.ndarray) -> None:
        """Raise :class:`NoClassFitsError` for the first layer of the model that no class
        placed in the package can hold (the other infeasible (layer, class) pairs only cost a
        penalty: the search avoids them)."""
        counts = self.package.class_counts
        placed = [c for c, n in enumerate(self.class_names) if counts.get(n, 0) > 0]
        dead = ~ok[:, placed].any(axis=1)
        if not dead.any():
            return
        entry = self.scenario.entries[model_idx]
        layer = entry.model.layers[int(np.argmax(dead))]
        reasons = []
        for c in placed:
            cls = self.package.classes[self.class_names[c]]
            try:
                evaluate_layers(
                    [layer.with_batch(layer.N * minibatch)], [cls], orientation=self.orientation
                )
                reasons.append(f"class '{cls.name}' cannot hold it")
            except MCMSchedError as err:
                reasons.append(err.reason)
        names = ", ".join(self.class_names[c] for c in placed)
        raise NoClassFitsError(
            f"layer '{layer.name}' of model '{entry.model.name}' fits no chiplet class of "
            f"package '{self.package.name}' (classes: {names}; mini-batch {minibatch}): "
            + "; ".join(reasons),
            field="package",
        )

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
        compute_s, energy_j = arr["compute_s"][sl], arr["energy_j"][sl]
        ok = np.isfinite(compute_s) & np.isfinite(energy_j)
        feasible = None
        if not ok.all():
            self._check_some_class_fits(model_idx, minibatch, ok)
            feasible = ok
            compute_s = np.where(ok, compute_s, _penalty(arr["compute_s"]))
            energy_j = np.where(ok, energy_j, _penalty(arr["energy_j"]))
        mc = ModelCosts(
            compute_s=compute_s,
            energy_j=energy_j,
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
            feasible=feasible,
        )
        self._model_cache[key] = mc
        return mc


#: A (layer, class) the class cannot hold costs this many times the whole table's finite
#: total (every layer on its slowest feasible class): more than any feasible schedule, while
#: prefix sums over a model's layers keep a relative precision of about 1e-12.
INFEASIBLE_PENALTY = 1e4


def _penalty(values: np.ndarray) -> float:
    finite = np.where(np.isfinite(values), values, 0.0)
    total = float(finite.max(axis=1).sum()) if finite.size else 0.0
    return INFEASIBLE_PENALTY * max(total, 1e-30)


class NoClassFitsError(MCMSchedError):
    """A layer that no chiplet class of the package can hold (buffers too small for one tile)."""


def _evaluate_or_skip(
    layers: list[Layer], classes: list[ChipletClass], orientation: Orientation
) -> tuple[list[BatchCosts], dict[tuple[int, int], str]]:
    """Costs of every layer on every class; a (layer, class) the class cannot hold (its buffer
    error) gets +inf cycles, energy and buffer needs instead of stopping the whole table (the
    disk cache keeps the +inf). Returns the costs and, per (layer index, class index) that
    cannot run, the reason."""
    try:
        return evaluate_layers(layers, classes, orientation=orientation), {}
    except MCMSchedError:
        pass  # some class cannot hold some layer: find which, class by class
    out: list[BatchCosts] = []
    why: dict[tuple[int, int], str] = {}
    for c, cls in enumerate(classes):
        try:
            out.append(evaluate_layers(layers, [cls], orientation=orientation)[0])
            continue
        except MCMSchedError:
            pass
        ok = np.ones(len(layers), dtype=bool)
        seen: dict[tuple[object, ...], str | None] = {}
        for i, ly in enumerate(layers):
            key = ly.shape_key
            if key not in seen:
                try:
                    evaluate_layers([ly], [cls], orientation=orientation)
                    seen[key] = None
                except MCMSchedError as err:
                    seen[key] = err.reason
            reason = seen[key]
            if reason is not None:
                ok[i] = False
                why[(i, c)] = reason
        good = [ly for ly, k in zip(layers, ok, strict=True) if k]
        part = evaluate_layers(good, [cls], orientation=orientation)[0] if good else None
        arrays: dict[str, np.ndarray | None] = {}
        for f in dataclasses.fields(BatchCosts):
            src = None if part is None else getattr(part, f.name)
            if part is not None and src is None:
                arrays[f.name] = None  # an optional field this class does not report
                continue
            if f.name in ("mapping", "bound"):  # text columns
                fill = "" if f.name == "mapping" else "infeasible"
                full = np.full(len(layers), fill, dtype=object)
            else:
                full = np.full(len(layers), np.inf)
            if src is not None:
                full[ok] = src
            arrays[f.name] = full
        out.append(BatchCosts(**arrays))  # type: ignore[arg-type]
    return out, why


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
