"""Built-in models and scenarios, written from the public architectures.

``get_model(name, **options)`` builds a model; ``list_models()`` lists every model with its
options and defaults; ``get_scenario(name)`` / ``list_scenarios()`` give the named multi-model
scenarios (SCAR Sc1-Sc5, paper 1). See the submodules for the conventions behind each MAC total.
"""

from mcmsched.workload.zoo.registry import ZooEntry, get_entry, get_model, list_models
from mcmsched.workload.zoo.scenarios import get_scenario, list_scenarios, scenario_description

__all__ = [
    "ZooEntry",
    "get_entry",
    "get_model",
    "get_scenario",
    "list_models",
    "list_scenarios",
    "scenario_description",
]
