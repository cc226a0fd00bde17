"""How a mutation runs its command: as the request's actor, with keyword arguments named as the command's
parameters (backend/application/governance.py and the command groups beside it), most often made from the
mutation's input by `arguments`:

    agreement, receipt = await run(info, app(info).sign_service_agreement, **arguments(input))
    task, receipt = await run(info, app(info).accept_task, task_id=id, expected_version=expected_version)
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import has_object_definition

from backend.api.context import ctx
from backend.application.governance import Gongzhi

T = TypeVar("T")


def app(info: strawberry.Info) -> Gongzhi:
    """The application whose methods are the commands."""
    return ctx(info).platform.app


async def run(info: strawberry.Info, command: Callable[..., T], **kwargs: Any) -> T:
    """Run `command` (a method of `app(info)`) stamped with the request's actor and ids, through the gateway
    (on the event loop, with the request's Idempotency-Key); what the command returns."""
    c = ctx(info)
    return await c.platform.commands.run(command, c.stamp, **kwargs)


def arguments(input: object) -> dict[str, Any]:
    """A strawberry input object as a command's keyword arguments: its fields by their (snake_case) names,
    enums as their values, nested inputs as dicts and lists of them as lists of dicts; a field left UNSET is
    left out (the command's default applies)."""
    return {field.name: plain(value) for field in dataclasses.fields(input)  # type: ignore[arg-type]
            if (value := getattr(input, field.name)) is not strawberry.UNSET}


def plain(value: Any) -> Any:
    """An input's value as the command takes it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(item) for item in value]
    if has_object_definition(value):
        return arguments(value)
    return value
