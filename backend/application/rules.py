"""Commands of the burden-reduction rules about what may stand in a community (P5 work bodies, P6 signboards,
P7 target-responsibility contracts, P10 the seal). Each allowed act is recorded; each forbidden one is refused
through `_refuse` (backend/application/base.py): its refusal is appended, then its error raised."""
from __future__ import annotations

from backend.application.base import GovernanceApplication


class BurdenRules(GovernanceApplication):
    """P5, P6, P7, P10 (推进社区减负增效): the commands; Gongzhi (governance.py) has them."""
