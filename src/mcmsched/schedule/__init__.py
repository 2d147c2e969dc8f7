"""Schedules: data (windows, plans, segments), evaluation, validation, space size."""

from mcmsched.schedule.costing import CostModels, ModelCostModel, PlanCost
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.metrics import EnergyBreakdown, Metrics, TimelineEvent
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.schedule.options import EvalOptions
from mcmsched.schedule.space import space_size, space_size_log10
from mcmsched.schedule.validate import ScheduleError, validate

__all__ = [
    "CostModels",
    "EnergyBreakdown",
    "EvalOptions",
    "Metrics",
    "ModelCostModel",
    "ModelPlan",
    "PlanCost",
    "Schedule",
    "ScheduleError",
    "Segment",
    "TimelineEvent",
    "Window",
    "evaluate",
    "space_size",
    "space_size_log10",
    "validate",
]
