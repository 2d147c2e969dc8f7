"""Workloads: layers, models (layer DAGs), scenarios (models with batch sizes), zoo, importers."""

from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario, ScenarioModel

__all__ = ["Layer", "Model", "OpKind", "Scenario", "ScenarioModel"]
