"""The executor of every kho run: Dagster's default (a process per step, or every step in
the run's process when the run config says ``in_process``), holding the warehouse
(:mod:`kho.writer_lock`) while the steps run.

Dagster's run queue lets one of the daemon's warehouse-writing runs go at a time; this keeps
them apart from writers the queue does not see (``kho materialize``, a run started
elsewhere). ``kho materialize`` itself runs in process, with Dagster's in-process executor,
and holds the warehouse around that (:mod:`kho.runner`).
"""

from __future__ import annotations

import dagster as dg
from dagster._core.events import DagsterEvent, EngineEventData

from kho import warehouse
from kho.settings import load_settings
from kho.writer_lock import holder_name, writing_the_warehouse

# The run's event log says when it began to hold the warehouse.
HOLDING = "holds the warehouse: no other run writes it until this one ends"


class _HoldingTheWarehouse(dg.Executor):
    def __init__(self, executor: dg.Executor):
        self._executor = executor

    @property
    def retries(self):
        return self._executor.retries

    @property
    def step_dependency_config(self):
        return self._executor.step_dependency_config

    def execute(self, plan_context, execution_plan):
        run = plan_context.dagster_run
        url = warehouse.ensure_warehouse(load_settings(), migrate=False)
        name = holder_name(run.run_id, run.job_name, "launched by Dagster")
        with writing_the_warehouse(url, name, on_wait=lambda busy: plan_context.log.info(
                f"waiting: {busy}; this run's steps start when it ends")):
            yield DagsterEvent.engine_event(plan_context, HOLDING, EngineEventData())
            yield from self._executor.execute(plan_context, execution_plan)


def _holding_the_warehouse(default: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    return dg.ExecutorDefinition(
        name="kho_warehouse_writer",
        config_schema=default.config_schema,
        requirements=default.get_requirements,
        executor_creation_fn=lambda context: _HoldingTheWarehouse(
            default.executor_creation_fn(context)),
        description=f"{default.description or default.name}, holding the warehouse while the "
                    f"steps run (one writer at a time).",
    )


warehouse_writer_executor = _holding_the_warehouse(dg.multi_or_in_process_executor)
