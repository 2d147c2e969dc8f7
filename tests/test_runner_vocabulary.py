"""One vocabulary for models: scenario files (``zoo:``) and sweep files (``model:``) accept both
names for a zoo model, and a missing name says which keys are accepted."""

from __future__ import annotations

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.explore.sweep_file import sweep_from_dict
from mcmsched.runner.config import config_from_dict


def _scenario(entry: dict) -> dict:
    return {"models": [entry], "package": "mcm-2x2"}


def test_scenario_file_accepts_model_as_in_sweep_files() -> None:
    a = config_from_dict(_scenario({"zoo": "mobilenetv2", "batch": 2, "options": {"image": 32}}))
    b = config_from_dict(_scenario({"model": "mobilenetv2", "batch": 2, "options": {"image": 32}}))
    assert a.scenario == b.scenario
    assert b.scenario.entries[0].batch == 2 and b.scenario.entries[0].model.name.startswith(
        "mobilenetv2"
    )


def test_scenario_file_missing_model_names_both_keys() -> None:
    with pytest.raises(MCMSchedError) as info:
        config_from_dict(_scenario({"batch": 2}))
    msg = str(info.value)
    assert "models[0]" in msg and "zoo" in msg and "'model' as in sweep files" in msg


def _sweep(entry: dict) -> dict:
    return {
        "name": "v",
        "scenarios": [{"name": "s", "models": [entry]}],
        "packages": ["mcm-2x2"],
    }


def test_sweep_file_accepts_zoo_as_in_scenario_files() -> None:
    a = sweep_from_dict(_sweep({"model": "resnet50", "batch": 3}))
    b = sweep_from_dict(_sweep({"zoo": "resnet50", "batch": 3}))
    assert [j.id for j in a.jobs] == [j.id for j in b.jobs]  # the same jobs
    assert b.jobs[0].scenario["models"][0] == {"model": "resnet50", "batch": 3, "options": {}}


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"batch": 3}, "needs 'model' (a zoo model name; scenario files call it 'zoo'"),
        ({"model": "resnet50", "zoo": "resnet50"}, "'model' or 'zoo', not both"),
    ],
)
def test_sweep_file_model_mistakes_name_the_alternative(entry: dict, text: str) -> None:
    with pytest.raises(MCMSchedError) as info:
        sweep_from_dict(_sweep(entry))
    assert text in str(info.value) and "scenarios[0].models" in str(info.value)
