"""`gongzhi fuzz`: documents generated from the whole served schema by hypothesis-graphql, sent over real HTTP.

Queries and mutations (valid ones, and ones with a schema violation), federation's `_entities` among them, with
random arguments (the custom scalars too), each with the token of one of the roles; no answer may be a 5xx or carry
`INTERNAL`, and every error's `extensions.code` must be one of ERROR_CODES. Needs the test extras (hypothesis,
hypothesis-graphql). `tests/test_fuzz_schema.py` runs it bounded; `gongzhi fuzz --examples N` runs it longer.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import typer

from backend.domain.errors import ERROR_CODES

#: What an answer is checked for; a problem is (document, token's role, what was wrong).
Problem = tuple[str, str, str]


def problems_of(response: httpx.Response) -> list[str]:
    """What is wrong with one answer: a 5xx, a body that is no GraphQL response, an INTERNAL or undocumented code."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"HTTP {response.status_code}, not JSON: {response.text[:300]}"]
    found = []
    for error in (body.get("errors") or []) if isinstance(body, dict) else ["not an object"]:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if code == "INTERNAL" or code not in ERROR_CODES:
            found.append(f"code {code!r}: {str(error)[:300]}")
    return found


@dataclass
class Fuzzer:
    """Sends generated documents to `url`, each with one of `tokens` (role name -> bearer token)."""

    url: str
    tokens: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    sent: int = 0

    def strategy(self) -> Any:
        from hypothesis import strategies as st
        from hypothesis_graphql import Mode, mutations, nodes, queries

        from backend.api.schema import schema

        served = schema._schema
        scalars = {
            "Date": st.one_of(st.dates().map(lambda d: nodes.String(d.isoformat())), st.text(max_size=12).map(nodes.String)),
            "DateTime": st.one_of(st.datetimes().map(lambda d: nodes.String(d.isoformat() + "+08:00")),
                                  st.text(max_size=12).map(nodes.String)),
            "Position": st.one_of(st.integers(-2, 2**64).map(nodes.Int), st.text(max_size=5).map(nodes.String)),
            "JSON": st.text(max_size=10).map(nodes.String),
            "_Any": st.one_of(
                st.builds(lambda kind, key: nodes.Object([
                    _field("__typename", nodes.String(kind)), _field("code" if kind == "Community" else "id",
                                                                     nodes.String(key))]),
                          st.sampled_from(["Community", "Task", "Organization", "Nope"]), st.text(max_size=14)),
                st.text(max_size=8).map(nodes.String)),
        }
        documents = [queries(served, custom_scalars=scalars, mode=mode) for mode in (Mode.POSITIVE, Mode.NEGATIVE)]
        documents += [mutations(served, custom_scalars=scalars, mode=mode) for mode in (Mode.POSITIVE, Mode.NEGATIVE)]
        return st.tuples(st.one_of(*documents), st.sampled_from(sorted(self.tokens)))

    def send(self, http: httpx.Client, document: str, role: str) -> None:
        self.sent += 1
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if self.tokens[role] else {}
        response = http.post(self.url, json={"query": document}, headers=headers)
        for problem in problems_of(response):
            self.problems.append((document, role, problem))

    def run(self, examples: int, seed: int | None = None, on_example: Callable[[int], None] | None = None) -> None:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import seed as seeded

        with httpx.Client(timeout=30) as http:
            @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
                      suppress_health_check=list(HealthCheck))
            @given(self.strategy())
            def one(sent: tuple[str, str]) -> None:
                self.send(http, *sent)
                if on_example is not None:
                    on_example(self.sent)

            (seeded(seed)(one) if seed is not None else one)()


def _field(name: str, value: Any) -> Any:
    import graphql
    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)


def tokens_for(secret: str, community: str) -> dict[str, str]:
    """A token of every role, scoped as the role is (a community, its street, its district, the province for ADMIN),
    and none (anonymous)."""
    from backend.api.auth import issue
    from backend.domain.access import Role
    scopes = {Role.STREET_OFFICE: community[:9], Role.DEPARTMENT: community[:6], Role.AUDITOR: community[:6],
              Role.INTEGRATOR: community[:6], Role.ADMIN: ""}
    tokens = {role.value: issue(secret, f"fuzz-{role.value.lower()}", role, scopes.get(role, community))
              for role in Role}
    return {**tokens, "ANONYMOUS": ""}


def report(problems: Sequence[Problem], limit: int = 20) -> str:
    return "\n".join(f"{role}: {problem}\n  {document[:400]}" for document, role, problem in problems[:limit])


def fuzz(examples: int = typer.Option(1000, "--examples", help="Documents to send."),
         url: str = typer.Option("http://127.0.0.1:8000/graphql", "--url", help="The server's GraphQL URL."),
         community: str = typer.Option("320102001001", help="The community the tokens are scoped to."),
         seed: int | None = typer.Option(None, help="A seed for another run than the derandomized one.")) -> None:
    """Fuzz the whole schema of a running server (its secret from GONGZHI_SECRET or the data folder): no 5xx, no
    INTERNAL, every error code documented. Exit code 1 if any answer breaks that."""
    try:
        import hypothesis_graphql  # noqa: F401
    except ImportError:
        raise SystemExit("error: gongzhi fuzz needs the test extras: pip install -e '.[dev]'") from None
    from backend import config
    settings = config.load(make_secret=False)
    if not settings.secret:
        raise SystemExit("error: no token secret (GONGZHI_SECRET, or the data folder's secret file)")
    fuzzer = Fuzzer(url, tokens_for(settings.secret, community))
    fuzzer.run(examples, seed, lambda n: typer.echo(f"{n} sent, {len(fuzzer.problems)} problems", err=True)
               if n % 100 == 0 else None)
    typer.echo(f"{fuzzer.sent} documents sent, {len(fuzzer.problems)} problems", err=True)
    if fuzzer.problems:
        typer.echo(report(fuzzer.problems), err=True)
        raise typer.Exit(1)


__all__ = ["Fuzzer", "fuzz", "problems_of", "tokens_for"]
