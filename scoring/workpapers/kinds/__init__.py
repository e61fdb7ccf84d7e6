"""The built-in sheet kinds: one module per kind of working paper, registered through ``register_sheet_kinds``."""

from typing import Any

from core.plugins import hookimpl
from scoring.workpapers.kinds import findings, funds, project, scores, survey, targets


@hookimpl
def register_sheet_kinds(register: Any) -> None:
    for module in (scores, findings, funds, targets, survey, project):
        register(module.KIND)
