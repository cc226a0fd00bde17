"""Read models: each module owns its tables and the events that change them.

`ALL` is every read model the modules of this package define (a `Projection` subclass with a `name`): a new
read model is one module, found here without a list to keep; tests/test_wiring.py checks that each of its
`on_<EventType>` handlers names an event type the domain has."""
from __future__ import annotations

import importlib
import pkgutil

from projections.base import Projection

#: Modules of this package that hold the machinery, not read models.
MACHINERY = frozenset({"base", "live", "migrations", "runner", "shadow"})


def _read_models() -> tuple[Projection, ...]:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in MACHINERY:
            importlib.import_module(f"{__name__}.{module.name}")
    found: list[type[Projection]] = []

    def walk(cls: type[Projection]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith(f"{__name__}.") and sub.name and sub not in found:
                found.append(sub)
            walk(sub)
    walk(Projection)
    return tuple(cls() for cls in sorted(found, key=lambda cls: cls.name))


ALL: tuple[Projection, ...] = _read_models()

__all__ = ["ALL", "Projection"]
