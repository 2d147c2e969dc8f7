"""The process-wide memo of searched mappings (cost/batch.py) changes no number: a layer's search
does not depend on the layers evaluated with it, and a memo hit returns what a search returns."""

from __future__ import annotations

import numpy as np

from mcmsched.cost import batch
from mcmsched.cost.batch import evaluate_layers
from mcmsched.hardware.presets import get_preset
from mcmsched.workload.zoo.registry import get_model

FIELDS = ("cycles", "energy_pj", "mac_pj", "l1_pj", "l2_pj", "macs", "l1_bytes", "l2_bytes")


def _same(a: batch.BatchCosts, b: batch.BatchCosts) -> None:
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert a.mapping is not None and b.mapping is not None
    assert list(a.mapping) == list(b.mapping)


def test_memo_hits_equal_fresh_searches_and_batches_do_not_interact() -> None:
    pkg = get_preset("het-sides")
    classes = [pkg.classes[n] for n in pkg.class_names]
    assert all(c.mapping == "searched" for c in classes)
    layers = [ly.with_batch(4) for ly in get_model("resnet50").layers[:12]]
    batch._SEARCH_MEMO.clear()
    together = evaluate_layers(layers, classes)
    assert len(batch._SEARCH_MEMO) > 0
    again = evaluate_layers(layers, classes)  # every shape a memo hit
    for a, b in zip(together, again, strict=True):
        _same(a, b)
    # each layer searched alone, from an empty memo, gives the same numbers and directives
    for i in (0, 5, 11):
        batch._SEARCH_MEMO.clear()
        alone = evaluate_layers([layers[i]], classes)
        for a, b in zip(together, alone, strict=True):
            _same(a.take(np.array([i])), b)
    # a different class (other PEs) never hits the first class's entries
    small = get_preset("het-sides", pes_per_chiplet=256)
    s_classes = [small.classes[n] for n in small.class_names]
    other = evaluate_layers(layers, s_classes)
    assert not np.array_equal(other[0].cycles, together[0].cycles)
