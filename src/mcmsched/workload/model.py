"""A model: an ordered list of layers plus the dependency DAG between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from mcmsched.errors import MCMSchedError
from mcmsched.workload.layer import Layer


@dataclass(frozen=True)
class Model:
    """A DNN as a sequence of layers in a topological order, with dependency edges.

    ``edges`` are ``(producer_index, consumer_index)`` pairs into ``layers``. If no edges are
    given the model is a chain (layer i feeds layer i+1). Skip connections are kept as edges. The
    layer order must be a topological order of the edges (the scheduler cuts models into
    contiguous runs of layers in this order).
    """

    name: str
    layers: tuple[Layer, ...]
    edges: tuple[tuple[int, int], ...] = ()
    default_batch: int = 1
    source: str | None = None  # where the model came from (zoo, file path, ...)
    #: For one decode step of an LLM: the tokens already in the KV cache that the step reads
    #: (its layers' ``kv_read_bytes`` are for this length; 0: the model reads no KV cache).
    #: A decode phase of several steps grows it by one token per step.
    cache_len: int = 0
    _graph_cache: dict[str, object] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers:
            raise MCMSchedError(
                f"model '{self.name}' has no layers", file=self.source, field="layers"
            )
        if self.cache_len < 0:
            raise MCMSchedError(
                f"model '{self.name}': cache_len must be >= 0",
                file=self.source,
                field="cache_len",
            )
        if self.default_batch <= 0:
            raise MCMSchedError(
                f"model '{self.name}': batch must be positive",
                file=self.source,
                field="default_batch",
            )
        n = len(self.layers)
        if not self.edges:
            object.__setattr__(self, "edges", tuple((i, i + 1) for i in range(n - 1)))
        else:
            object.__setattr__(self, "edges", tuple((int(a), int(b)) for a, b in self.edges))
        names: set[str] = set()
        for layer in self.layers:
            if layer.name in names:
                raise MCMSchedError(
                    f"model '{self.name}': duplicate layer name '{layer.name}'",
                    file=self.source,
                    field="layers",
                )
            names.add(layer.name)
        for a, b in self.edges:
            if not (0 <= a < n and 0 <= b < n):
                raise MCMSchedError(
                    f"model '{self.name}': edge ({a}, {b}) names a layer index outside 0..{n - 1}",
                    file=self.source,
                    field="edges",
                )
        graph = self.graph
        if not nx.is_directed_acyclic_graph(graph):
            cycle = nx.find_cycle(graph)
            names_in_cycle = " -> ".join(self.layers[a].name for a, _ in cycle)
            raise MCMSchedError(
                f"model '{self.name}': the layer graph has a cycle ({names_in_cycle})",
                file=self.source,
                field="edges",
            )
        for a, b in self.edges:
            if a >= b:
                raise MCMSchedError(
                    f"model '{self.name}': layer order is not topological (edge "
                    f"{self.layers[a].name} -> {self.layers[b].name})",
                    file=self.source,
                    field="edges",
                )

    @property
    def graph(self) -> nx.DiGraph:
        """The dependency DAG over layer indices (node attribute ``layer``)."""
        g = self._graph_cache.get("g")
        if g is None:
            g = nx.DiGraph()
            for i, layer in enumerate(self.layers):
                g.add_node(i, layer=layer)
            g.add_edges_from(self.edges)
            self._graph_cache["g"] = g
        assert isinstance(g, nx.DiGraph)
        return g

    def __len__(self) -> int:
        return len(self.layers)

    @cached_property
    def macs(self) -> int:
        """Total MACs at the layers' own batch."""
        return sum(layer.macs for layer in self.layers)

    @cached_property
    def params(self) -> int:
        """Total trained parameters."""
        return sum(layer.params for layer in self.layers)

    def predecessors(self, index: int) -> list[int]:
        """Indices of layers whose output layer ``index`` consumes."""
        return sorted(self.graph.predecessors(index))

    def renamed(self, name: str) -> Model:
        """The same model under another name."""
        return Model(
            name=name,
            layers=self.layers,
            edges=self.edges,
            default_batch=self.default_batch,
            source=self.source,
            cache_len=self.cache_len,
        )

    @cached_property
    def kv_read_bytes(self) -> int:
        """KV-cache bytes one sample of the model reads (sum over layers)."""
        return sum(layer.kv_read_bytes for layer in self.layers)

    @cached_property
    def kv_write_bytes(self) -> int:
        """KV-cache bytes one sample of the model writes (sum over layers)."""
        return sum(layer.kv_write_bytes for layer in self.layers)

    @staticmethod
    def chain(
        name: str, layers: Sequence[Layer], default_batch: int = 1, source: str | None = None
    ) -> Model:
        """A model whose layers form a simple chain."""
        return Model(name=name, layers=tuple(layers), default_batch=default_batch, source=source)
