"""Commands that record the burden put on communities (P8 inspections and their cap, P9 paper ledgers)."""
from __future__ import annotations

from backend.application.base import GovernanceApplication


class BurdenRecords(GovernanceApplication):
    """P8, P9 (精简检查、精简台账): the commands; Gongzhi (governance.py) has them."""
