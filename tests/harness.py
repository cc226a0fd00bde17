"""Test harness: a real PostgreSQL, a real server process, real HTTP and websockets."""
from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import asyncpg
import httpx
import websockets

from backend import database
from backend.api.auth import issue
from backend.domain.access import Role

SECRET = "test-secret-" + "x" * 40
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(role: Role | str, scope: str, actor: str | None = None, organization: str | None = None) -> str:
    """A token of the test secret; `organization` is its `org` claim (the actor's department)."""
    role = Role(role)
    return issue(SECRET, actor or f"{role.value.lower()}-{uuid.uuid4().hex[:8]}", role, scope,
                 organization=organization)


def district() -> str:
    """A fresh six-digit district code, so tests never see each other's communities."""
    return f"{random.randint(100000, 999999)}"


async def until(check: Any, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll `await check()` every `every` seconds until it is truthy (returned); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)
    return result


class GraphQLError(AssertionError):
    pass


@dataclass
class Server:
    """A `gongzhi serve` process on a free port."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    args: tuple[str, ...] = ()  # more arguments to `serve` (`--demo`)
    command: str = "serve"  # or "projector" (it answers /readyz too)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self, timeout: float = 60) -> Server:
        log = open(self.env["GONGZHI_DATA_DIR"] + f"/server-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend", self.command, "--port", str(self.port), *self.args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {log.name}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop(kill=True)  # not left running behind the failed test
        raise RuntimeError(f"server did not become ready; see {log.name}")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            self.process.wait(30)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "backend", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=check, timeout=300)


class Client:
    """A GraphQL client over real HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(timeout=30)

    async def raw(self, query: str, variables: dict | None = None, tok: str | None = None,
                  headers: dict | None = None) -> httpx.Response:
        h = dict(headers or {})
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        return await self.http.post(self.url, json={"query": query, "variables": variables or {}}, headers=h)

    async def call(self, query: str, variables: dict | None = None, tok: str | None = None,
                   headers: dict | None = None) -> dict[str, Any]:
        """The response body; raises GraphQLError (with the body) if it has errors."""
        response = await self.raw(query, variables, tok, headers)
        assert response.status_code < 500, response.text
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(json.dumps(body["errors"], ensure_ascii=False), body)
        return body["data"]

    async def error(self, query: str, variables: dict | None = None, tok: str | None = None) -> dict[str, Any]:
        """The first error of a call that must fail."""
        response = await self.raw(query, variables, tok)
        assert response.status_code < 500, response.text
        body = response.json()
        assert body.get("errors"), f"expected an error, got {body}"
        assert "code" in body["errors"][0].get("extensions", {}), body
        return body["errors"][0]

    async def code(self, query: str, variables: dict | None = None, tok: str | None = None) -> str:
        return (await self.error(query, variables, tok))["extensions"]["code"]

    async def close(self) -> None:
        await self.http.aclose()


class Subscription:
    """One graphql-transport-ws subscription over a real websocket."""

    def __init__(self, url: str, query: str, variables: dict | None = None, tok: str | None = None,
                 in_header: bool = False) -> None:
        self.url = url.replace("http://", "ws://")
        self.query, self.variables, self.tok, self.in_header = query, variables or {}, tok, in_header

    async def __aenter__(self) -> Self:
        headers = {"Authorization": f"Bearer {self.tok}"} if self.tok and self.in_header else None
        self.ws = await websockets.connect(self.url, subprotocols=["graphql-transport-ws"],
                                           additional_headers=headers)
        payload = {"Authorization": f"Bearer {self.tok}"} if self.tok and not self.in_header else {}
        await self.ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                       "payload": {"query": self.query, "variables": self.variables}}))
        return self

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**database.asyncpg_dsn(url))


def server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_SECRET=SECRET, GONGZHI_DATA_DIR=str(data_dir), GONGZHI_LOG_LEVEL="WARNING")
    if database_url:
        env["GONGZHI_DATABASE_URL"] = database_url
    return env
