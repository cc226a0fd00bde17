"""Read models: each module owns its tables and the events that change them."""
from projections.activities import Activities
from projections.agreements import Agreements
from projections.audit import AuditIndex
from projections.base import Projection
from projections.burden import Burden
from projections.communities import Communities
from projections.evaluations import Evaluations
from projections.organizations import Organizations
from projections.tasks import Tasks

ALL: tuple[Projection, ...] = (
    Communities(), Tasks(), Agreements(), Organizations(), Activities(), Evaluations(), Burden(), AuditIndex(),
)

__all__ = ["ALL", "Projection"]
