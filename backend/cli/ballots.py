"""`gongzhi ballots`: secret ballots (P26, 无记名投票; backend/application/ballots.py).

    gongzhi ballots release [--force]     release every campaign's due ballots from the box into the log
    gongzhi ballots verify CAMPAIGN_ID    recount a campaign from the log against its published tallies

A campaign's ballots are due when its box holds GONGZHI_BALLOT_BATCH of them, or it has closed; `--force` releases
whatever the box holds (a small batch is a small crowd to hide in: see the README's "Secret ballots"). Results go to
stdout as JSON; `verify` exits 1 when the counts disagree.
"""
from __future__ import annotations

import json
from typing import Any

import typer

from backend import bootstrap
from backend.domain import values

ballots_app = typer.Typer(help="Secret ballots: release the ballot box's due ballots, recount a campaign.")


@ballots_app.command("release")
def ballots_release(force: bool = typer.Option(False, help="Release every ballot in the box, due or not.")) -> None:
    """Release every campaign's due ballots (shuffled, in one batch per campaign)."""
    from backend.cli import run

    async def go(platform: bootstrap.Platform) -> int:
        assert platform.ballots is not None
        return await platform.ballots.release_due(force=force)

    print(json.dumps({"released": run(go)}))


@ballots_app.command("verify")
def ballots_verify(campaign_id: str) -> None:
    """Recount a campaign from the log and compare with its published tallies and its participations."""
    from backend.cli import _fail, run

    campaign = values.uuid(campaign_id, "campaignId")

    async def go(platform: bootstrap.Platform) -> dict[str, Any] | None:
        assert platform.ballots is not None
        aggregate = await platform.events.aggregate(campaign)
        if aggregate is None:
            return None
        return await platform.ballots.verify(campaign, aggregate.community_code)

    result = run(go)
    if result is None:
        _fail(f"no evaluation campaign {campaign_id}", 1)
    print(json.dumps(result, ensure_ascii=False, default=str))
    if not result["ok"]:
        raise typer.Exit(1)
