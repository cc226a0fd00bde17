"""Commands of how community work is run (P11 社区工作规则): posts, staff, appraisals."""
from __future__ import annotations

from backend.application.base import GovernanceApplication


class CommunityWork(GovernanceApplication):
    """P11: the commands; Gongzhi (governance.py) has them."""
