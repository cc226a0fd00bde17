"""Evaluation campaigns (P26) and their tallies per target. Ballots stay in the log only: no voter is
in any table here."""
from __future__ import annotations

import json

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes

COLUMN = {"SATISFIED": "satisfied", "BASICALLY_SATISFIED": "basically_satisfied", "DISSATISFIED": "dissatisfied"}


class Evaluations(Projection):
    name = "evaluations"
    tables = ("evaluation_campaigns", "evaluation_tallies")
    migrations = ("""
        CREATE TABLE evaluation_campaigns (
            id uuid PRIMARY KEY,
            community_code text NOT NULL,
            title text NOT NULL,
            targets jsonb NOT NULL,
            closes_at timestamptz NOT NULL
        );
        CREATE TABLE evaluation_tallies (
            campaign_id uuid NOT NULL,
            target_id text NOT NULL,
            satisfied int NOT NULL DEFAULT 0,
            basically_satisfied int NOT NULL DEFAULT 0,
            dissatisfied int NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign_id, target_id)
        );
    """,
        # Every tally of ballots fits.
        """ALTER TABLE evaluation_tallies ALTER COLUMN satisfied TYPE bigint,
           ALTER COLUMN basically_satisfied TYPE bigint, ALTER COLUMN dissatisfied TYPE bigint""",
        # A community's campaigns are listed (evaluationCampaigns) newest first, with when each opened. The rows
        # before this migration lack both, so the read model is emptied and refilled from the log: its tracking
        # row goes back to 0 and the runner replays the log for it alone (the other read models stay where they
        # are). On a new store the tracking row does not exist yet and nothing is reset.
        """TRUNCATE evaluation_campaigns, evaluation_tallies;
           ALTER TABLE evaluation_campaigns ADD COLUMN position bigint NOT NULL UNIQUE,
                                            ADD COLUMN opened_at timestamptz NOT NULL;
           CREATE INDEX evaluation_campaigns_community ON evaluation_campaigns (community_code text_pattern_ops, position);
           UPDATE projection_tracking SET position = 0, failed_position = NULL, failed_event_type = NULL,
                  error = NULL, failed_since = NULL WHERE name = 'evaluations'""",
    )

    def on_EvaluationCampaignOpened(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("evaluation_campaigns", id=d.originator_id, position=e.position, community_code=e.community_code,
                 title=d.title, targets=json.dumps(d.targets, ensure_ascii=False), closes_at=d.closes_at,
                 opened_at=e.occurred_at)

    def on_EvaluationCast(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        column = COLUMN[d.satisfaction]
        w.increment(f"INSERT INTO evaluation_tallies (campaign_id, target_id, {column}) VALUES ($1, $2, $3)"
                    f" ON CONFLICT (campaign_id, target_id) DO UPDATE SET {column} = evaluation_tallies.{column} + $3",
                    (d.campaign_id, d.target_id), 1)
