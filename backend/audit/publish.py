"""Signed checkpoints published on a NATS JetStream subject, so that a copy lives outside the database.

A verifier that takes its checkpoints from the stream (`gongzhi audit fetch-checkpoints`, then `gongzhi audit verify
--checkpoints FILE`) does not have to trust the server's `gongzhi_checkpoints` table: an administrator who rewrites
events, their leaf hashes and that table together cannot rewrite what was published, nor sign a new root without
the key.

Each checkpoint is one message, its JSON (as `checkpoints.jsonl` and `GONGZHI_CHECKPOINT_FILE` hold it), with a
`Nats-Msg-Id` of its key id and tree size, so a checkpoint published twice (a retry, two servers) is stored once.
The stream (`stream_name(subject)`, capturing the one subject) is made when it does not exist. Publishing catches up:
every checkpoint in the table after the stream's last is published in order, at each tick of the checkpointer, so
a NATS outage delays the copies and loses none.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from typing import Any

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

log = structlog.get_logger("gongzhi.audit")
DEFAULT_SUBJECT = "gongzhi.audit.checkpoints"
CONNECT_TIMEOUT_S = 2


async def _quiet(error: Exception) -> None:
    """nats-py's default error callback prints tracebacks; the caller says what failed, once."""
    log.debug("nats", error=str(error))


async def connect(url: str, name: str = "gongzhi-checkpoints") -> Client:
    """One attempt, bounded in time (no retrying inside the client: a lost connection closes it, and the
    checkpointer's next tick, or the relay's next step, connects again). `name`: the connection's name on the server."""
    client: Client = await asyncio.wait_for(
        nats.connect(url, connect_timeout=CONNECT_TIMEOUT_S, allow_reconnect=False, max_reconnect_attempts=1,
                     error_cb=_quiet, name=name), 2 * CONNECT_TIMEOUT_S)
    return client


def stream_name(subject: str) -> str:
    """The JetStream stream that keeps a subject's checkpoints: the subject's name in capitals, `.` as `_`."""
    return "GONGZHI_CKPT_" + re.sub(r"[^A-Za-z0-9_-]", "_", subject).upper()


def message_id(checkpoint: dict[str, Any]) -> str:
    return f"{checkpoint['keyId']}:{checkpoint['treeSize']}"


class CheckpointPublisher:
    """Publishes checkpoints (their JSON) on `subject` of the NATS server at `url` (see the module's docstring)."""

    def __init__(self, url: str, subject: str = DEFAULT_SUBJECT) -> None:
        self.url, self.subject, self.stream = url, subject, stream_name(subject)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self.published: int | None = None  # the tree size of the stream's last checkpoint, once known

    async def _connect(self) -> JetStreamContext:
        if self._js is None or self._nc is None or self._nc.is_closed:
            # no retrying inside the client: a lost connection closes it, and the next tick connects again
            self._nc = await connect(self.url)
            self._js = self._nc.jetstream()
            try:
                await self._js.stream_info(self.stream)
            except NotFoundError:
                await self._js.add_stream(name=self.stream, subjects=[self.subject])
            self.published = await self._last_tree_size(self._js)
        return self._js

    async def _last_tree_size(self, js: JetStreamContext) -> int:
        try:
            last = await js.get_last_msg(self.stream, self.subject)
        except NotFoundError:
            return 0
        return int(json.loads(last.data)["treeSize"]) if last.data else 0

    async def publish(self, checkpoints: Sequence[dict[str, Any]]) -> int:
        """Publish, in order, those of `checkpoints` after the stream's last; how many were published."""
        js = await self._connect()
        count = 0
        for c in sorted(checkpoints, key=lambda c: c["treeSize"]):
            if self.published is not None and c["treeSize"] <= self.published:
                continue
            await js.publish(self.subject, json.dumps(c).encode(), headers={"Nats-Msg-Id": message_id(c)})
            self.published, count = c["treeSize"], count + 1
        return count

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = self._js = None


async def fetch(url: str, subject: str = DEFAULT_SUBJECT) -> list[dict[str, Any]]:
    """Every checkpoint kept on `subject`'s stream, oldest first (for `gongzhi audit fetch-checkpoints`)."""
    nc = await connect(url)
    try:
        js = nc.jetstream()
        stream = stream_name(subject)
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        found: list[dict[str, Any]] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                message = await js.get_msg(stream, seq)
            except NotFoundError:  # a gap the stream's limits made
                continue
            if message.data:
                found.append(json.loads(message.data))
        return found
    finally:
        await nc.close()
