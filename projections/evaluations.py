"""Evaluation campaigns (P26) and their tallies per target. Ballots stay in the log only: no voter is
in any table here. A tally counts a target's open ballots of before (EvaluationCast) and its released secret
ballots (SecretBallotCast), and, for a secret campaign, its participations and secret ballots apart, so that
anyone can compare them (verifyEvaluationCounts). Released secret ballots are listed by their receipt's hash
(`evaluation_ballots`: no voter, no participation), for a resident's check (ballotCounted)."""
from __future__ import annotations

import json

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes

COLUMN = {"SATISFIED": "satisfied", "BASICALLY_SATISFIED": "basically_satisfied", "DISSATISFIED": "dissatisfied"}


class Evaluations(Projection):
    name = "evaluations"
    tables = ("evaluation_campaigns", "evaluation_tallies", "evaluation_ballots")
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
        # Secret ballots (P26, 无记名投票): a campaign is secret or open (every campaign before this migration is
        # open: its event has no `secret`, and no participation or secret ballot exists yet, so nothing is refilled).
        """ALTER TABLE evaluation_campaigns ADD COLUMN secret boolean NOT NULL DEFAULT false;
           ALTER TABLE evaluation_tallies ADD COLUMN participations bigint NOT NULL DEFAULT 0,
                                          ADD COLUMN secret_ballots bigint NOT NULL DEFAULT 0;
           CREATE TABLE evaluation_ballots (
               receipt_hash text PRIMARY KEY,
               campaign_id uuid NOT NULL,
               target_id text NOT NULL,
               satisfaction text NOT NULL,
               position bigint NOT NULL UNIQUE,
               batch_id uuid NOT NULL,
               batch_size int NOT NULL,
               released_at timestamptz NOT NULL
           );
           CREATE INDEX evaluation_ballots_campaign ON evaluation_ballots (campaign_id, position)""",
    )

    def on_EvaluationCampaignOpened(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("evaluation_campaigns", id=d.originator_id, position=e.position, community_code=e.community_code,
                 title=d.title, targets=json.dumps(d.targets, ensure_ascii=False), closes_at=d.closes_at,
                 opened_at=e.occurred_at, secret=bool(getattr(d, "secret", False)))

    def on_EvaluationCast(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        column = COLUMN[d.satisfaction]
        w.increment(f"INSERT INTO evaluation_tallies (campaign_id, target_id, {column}) VALUES ($1, $2, $3)"
                    f" ON CONFLICT (campaign_id, target_id) DO UPDATE SET {column} = evaluation_tallies.{column} + $3",
                    (d.campaign_id, d.target_id), 1)

    def on_EvaluationParticipationRecorded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.increment("INSERT INTO evaluation_tallies (campaign_id, target_id, participations) VALUES ($1, $2, $3)"
                    " ON CONFLICT (campaign_id, target_id) DO UPDATE"
                    " SET participations = evaluation_tallies.participations + $3", (d.campaign_id, d.target_id), 1)

    def on_SecretBallotCast(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        column = COLUMN[d.satisfaction]
        w.increment(f"INSERT INTO evaluation_tallies (campaign_id, target_id, {column}, secret_ballots)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id, target_id) DO UPDATE"
                    f" SET {column} = evaluation_tallies.{column} + $3,"
                    " secret_ballots = evaluation_tallies.secret_ballots + $4", (d.campaign_id, d.target_id), 1, 1)
        w.insert("evaluation_ballots", receipt_hash=d.receipt_hash, campaign_id=d.campaign_id, target_id=d.target_id,
                 satisfaction=d.satisfaction, position=e.position, batch_id=d.batch_id, batch_size=d.batch_size,
                 released_at=e.occurred_at)
