"""infra/, checked offline: the NATS accounts (infra/nats/nats.conf and the Helm values' copy of them) on a private
nats-server, the Kubernetes manifests against the Kubernetes schemas (kubernetes-validate, which bundles them) and
the CloudNativePG `Cluster` against the fields of its CRD that it uses, the Kustomize base rendered by `kubectl
kustomize` (or read resource by resource without it), the compose file (`docker compose config` where the plugin is
present, and its services and commands in any case) and the Dockerfile's stages."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import subprocess
import tomllib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
import yaml
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, StreamConfig

from tests.harness import ROOT, free_port

INFRA = ROOT / "infra"
NATS_SERVER = shutil.which("nats-server") or ("/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists()
                                              else None)
needs_nats_server = pytest.mark.skipif(NATS_SERVER is None, reason="no nats-server binary on this machine")

# The NATS passwords the configs read from the environment (infra/nats/nats.conf's header).
PASSWORD_VARIABLES = ("GONGZHI_NATS_SYS_PASSWORD", "GONGZHI_NATS_RELAY_PASSWORD", "GONGZHI_NATS_API_PASSWORD",
                      "GONGZHI_NATS_ADMIN_320102_PASSWORD", "GONGZHI_NATS_INTEGRATOR_320102_PASSWORD")
STREAM = "GONGZHI_EVENTS"
DISTRICT_STREAM = "GONGZHI_EVENTS_320102"
CHECKPOINTS = "gongzhi.audit.checkpoints"
CHECKPOINT_STREAM = "GONGZHI_CKPT_GONGZHI_AUDIT_CHECKPOINTS"  # backend/audit/publish.py's stream_name(CHECKPOINTS)


# --- NATS -------------------------------------------------------------------------------------------------------


def compose_nats_config() -> str:
    return (INFRA / "nats" / "nats.conf").read_text()


def helm_nats_config() -> str:
    """The NATS config the official chart renders from infra/k8s/nats-values.yaml's `config.merge` (JSON, which NATS
    reads, with each `<< x >>` unquoted, as the chart writes it), plus the JetStream block the chart adds (its
    files/config/jetstream.yaml: `store_dir` is `fileStore.dir`)."""
    values = yaml.safe_load((INFRA / "k8s" / "nats-values.yaml").read_text())
    store = values["config"]["jetstream"]["fileStore"]
    assert values["config"]["jetstream"]["enabled"] and store["enabled"] and store["dir"] == "/data"
    merged = json.dumps({**values["config"]["merge"], "jetstream": {"store_dir": store["dir"]}}, indent=1)
    return re.sub(r'"<<\s*(.*?)\s*>>"', r"\1", merged)


CONFIGS = {"compose": compose_nats_config, "helm": helm_nats_config}


def nats_password() -> str:
    """A password as infra/.env.example says to make them: a letter, then hex (NATS parses a variable's value as a
    config value, so one that starts with a digit is read as a number and refused)."""
    return "p" + secrets.token_hex(16)


@dataclass
class NatsServer:
    """A private nats-server from one of infra's configs, on free ports, its JetStream store in a temporary folder."""

    config: str
    folder: Path
    port: int = field(default_factory=free_port)
    passwords: dict[str, str] = field(default_factory=lambda: {v: nats_password() for v in PASSWORD_VARIABLES})
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> NatsServer:
        store = self.folder / "jetstream"
        text, count = re.subn(r'("?store_dir"?\s*:\s*)"?/data(/jetstream)?"?', rf'\1"{store}"', self.config)
        assert count == 1, "the config names its JetStream store_dir (/data/jetstream or /data) once"
        path = self.folder / "nats.conf"
        path.write_text(text)
        assert NATS_SERVER is not None
        self.log = self.folder / "nats.log"
        self.process = subprocess.Popen(
            [NATS_SERVER, "-c", str(path), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(free_port())],
            env={**os.environ, **self.passwords}, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        return self

    def url(self, user: str) -> str:
        variable = "GONGZHI_NATS_" + user.upper().replace("-", "_") + "_PASSWORD"
        return f"nats://{user}:{self.passwords[variable]}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class User:
    """A connection as one of the config's users, with the permission violations the server sent it."""

    client: Client
    violations: list[str]

    async def violation(self, fragment: str, timeout: float = 5) -> None:
        """Wait until the server has refused something whose subject contains `fragment`."""
        async with asyncio.timeout(timeout):
            while not any(fragment.lower() in v.lower() for v in self.violations):
                await asyncio.sleep(0.02)


async def login(server: NatsServer, user: str) -> User:
    violations: list[str] = []

    async def record(error: Exception) -> None:
        violations.append(str(error))

    deadline = asyncio.get_running_loop().time() + 15
    while True:  # the server may still be starting
        try:
            client = await nats.connect(server.url(user), error_cb=record, allow_reconnect=False, connect_timeout=2)
            return User(client, violations)
        except (nats.errors.NoServersError, OSError):
            if asyncio.get_running_loop().time() > deadline or server.process.poll() is not None:  # type: ignore[union-attr]
                raise AssertionError(f"nats-server did not start: {server.log.read_text()[-2000:]}") from None
            await asyncio.sleep(0.1)


@pytest.fixture(params=sorted(CONFIGS))
def nats_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NatsServer]:
    """A private nats-server from infra/nats/nats.conf, and one from the Helm values' accounts."""
    if NATS_SERVER is None:
        pytest.skip("no nats-server binary on this machine")
    server = NatsServer(CONFIGS[request.param](), tmp_path).start()
    yield server
    server.stop()


@needs_nats_server
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_nats_configs_are_valid(name: str, tmp_path: Path) -> None:
    """`nats-server -t` accepts both configs (with their passwords in the environment) and refuses one without them."""
    path = tmp_path / "nats.conf"
    path.write_text(CONFIGS[name]())
    env = {**os.environ, **{v: "x" for v in PASSWORD_VARIABLES}}
    checked = subprocess.run([NATS_SERVER, "-t", "-c", str(path)], env=env, capture_output=True, text=True,  # type: ignore[list-item]
                             timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    unset = {k: v for k, v in env.items() if k != "GONGZHI_NATS_RELAY_PASSWORD"}
    checked = subprocess.run([NATS_SERVER, "-t", "-c", str(path)], env=unset, capture_output=True, text=True,  # type: ignore[list-item]
                             timeout=30)
    assert checked.returncode != 0 and "GONGZHI_NATS_RELAY_PASSWORD" in checked.stdout + checked.stderr


def test_the_helm_values_carry_the_accounts_of_the_compose_config() -> None:
    """The same users, in the same accounts, in both places (the permission test below runs on both)."""
    compose = compose_nats_config()
    values = yaml.safe_load((INFRA / "k8s" / "nats-values.yaml").read_text())["config"]["merge"]
    for account, body in values["accounts"].items():
        assert re.search(rf"^\s*{account}\s*{{", compose, re.MULTILINE), account
        for user in body["users"]:
            assert re.search(rf"user:\s*{re.escape(user['user'])}\b", compose), user["user"]
    users = re.findall(r"user:\s*([\w-]+)", compose)
    assert sorted(users) == sorted(u["user"] for a in values["accounts"].values() for u in a["users"])


async def publish_event(relay: User, district: str, community: str, event_type: str, position: int) -> None:
    """What `gongzhi relay` publishes: the subject of the event's division and type, Nats-Msg-Id from its position."""
    subject = f"gongzhi.events.{district}.{community[:9]}.{community}.{event_type}"
    ack = await relay.client.jetstream().publish(subject, json.dumps({"position": position}).encode(),
                                                 headers={"Nats-Msg-Id": str(position),
                                                          "Gongzhi-Position": str(position)})
    assert ack.stream == STREAM and not ack.duplicate


async def district_stream_holds(admin: User, stream: str, count: int, timeout: float = 10) -> int:
    """The number of messages `stream` holds once it holds `count` (or what it holds after `timeout`)."""
    js = admin.client.jetstream()
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        held = (await js.stream_info(stream)).state.messages
        if held >= count or asyncio.get_running_loop().time() > deadline:
            return held
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def users(server: NatsServer, *names: str) -> AsyncIterator[list[User]]:
    logged = [await login(server, name) for name in names]
    try:
        yield logged
    finally:
        for user in logged:
            await user.client.close()


async def test_an_integrator_reads_its_district_only(nats_server: NatsServer) -> None:
    """The relay publishes to two districts; the district-320102 integrator's durable consumer, filtered to
    `gongzhi.events.320102.>`, gets that district's events and nothing else; it may not subscribe to another
    district, make an unfiltered consumer, reach the platform's stream or its API, and a stream of its account that
    tries to source another district gets nothing."""
    async with users(nats_server, "relay", "api", "admin-320102", "integrator-320102") as (relay, api, admin, integ):
        js = relay.client.jetstream()  # what backend/application/relay.py does with it: make, update, read back
        await js.add_stream(StreamConfig(name=STREAM, subjects=["gongzhi.events.>"], duplicate_window=60))
        info = await js.stream_info(STREAM)
        await js.update_stream(dataclasses.replace(info.config, duplicate_window=120))
        await publish_event(relay, "320102", "320102001001", "TaskDelegated", 1)
        await publish_event(relay, "320104", "320104001001", "TaskDelegated", 2)
        await publish_event(relay, "320102", "320102002003", "ActivityRecorded", 3)
        assert json.loads((await js.get_msg(STREAM, 3)).data) == {"position": 3}

        # The operator's stream of another district gets nothing: GONGZHI exports the filtered create for 320102 only.
        stray = json.loads((INFRA / "nats" / "district-320102.stream.json").read_text())
        stray["sources"][0]["filter_subject"] = "gongzhi.events.320104.>"
        await admin.client.jetstream().add_stream(StreamConfig.from_response(stray))
        assert await district_stream_holds(admin, DISTRICT_STREAM, 1, timeout=3) == 0
        await admin.client.jetstream().delete_stream(DISTRICT_STREAM)

        # The district's stream, as infra/nats/district-320102.stream.json makes it, sources its two events.
        config = json.loads((INFRA / "nats" / "district-320102.stream.json").read_text())
        await admin.client.jetstream().add_stream(StreamConfig.from_response(config))
        assert await district_stream_holds(admin, DISTRICT_STREAM, 2) == 2

        ij = integ.client.jetstream()
        pull = await ij.pull_subscribe("gongzhi.events.320102.>", durable="district-app", stream=DISTRICT_STREAM)
        got = await pull.fetch(10, timeout=3)
        assert [m.subject.split(".")[2] for m in got] == ["320102", "320102"]
        assert [m.headers["Gongzhi-Position"] for m in got] == ["1", "3"]  # type: ignore[index]
        for m in got:
            await m.ack()
        live = await integ.client.subscribe("gongzhi.events.320102.>")
        await integ.client.flush()
        await publish_event(relay, "320104", "320104001001", "TaskAccepted", 4)
        await publish_event(relay, "320102", "320102001001", "TaskAccepted", 5)
        assert json.loads((await live.next_msg(timeout=15)).data) == {"position": 5}  # live, and 4 never came
        got = await pull.fetch(10, timeout=5)
        assert [json.loads(m.data)["position"] for m in got] == [5]
        await got[0].ack()
        info = await ij.consumer_info(DISTRICT_STREAM, "district-app")
        assert info.config.filter_subject == "gongzhi.events.320102.>" and info.num_pending == 0

        # Refused: another district's subjects, an unfiltered consumer, a filter beyond the district, the
        # platform's stream, and GONGZHI's consumer API (through which a consumer could deliver into its subjects).
        await integ.client.subscribe("gongzhi.events.320104.>")
        await integ.violation('subscription to "gongzhi.events.320104.>"')
        with pytest.raises(nats.errors.TimeoutError):
            await ij.add_consumer(DISTRICT_STREAM, ConsumerConfig(name="everything", durable_name="everything"),
                                  timeout=1)
        await integ.violation(f"$JS.API.CONSUMER.CREATE.{DISTRICT_STREAM}.everything\"")
        with pytest.raises(nats.errors.TimeoutError):
            await ij.add_consumer(DISTRICT_STREAM, ConsumerConfig(name="wide", durable_name="wide",
                                                                  filter_subject="gongzhi.events.>"), timeout=1)
        await integ.violation(f"$JS.API.CONSUMER.CREATE.{DISTRICT_STREAM}.wide.gongzhi.events.>")
        with pytest.raises(nats.errors.TimeoutError):
            await ij.add_consumer(STREAM, ConsumerConfig(name="theirs", durable_name="theirs",
                                                         filter_subject="gongzhi.events.320104.>"), timeout=1)
        await integ.violation(f"$JS.API.CONSUMER.CREATE.{STREAM}.theirs")
        inject = {"stream_name": STREAM, "config": {"name": "x", "filter_subject": "gongzhi.events.320102.>",
                                                     "deliver_subject": CHECKPOINTS}}
        with pytest.raises(nats.errors.TimeoutError):
            await integ.client.request(f"$JS.GONGZHI.API.CONSUMER.CREATE.{STREAM}.x.gongzhi.events.320102.>",
                                       json.dumps(inject).encode(), timeout=1)
        await integ.violation("$JS.GONGZHI.API.CONSUMER.CREATE")
        with pytest.raises(nats.errors.TimeoutError):
            await admin.client.request(f"$JS.GONGZHI.API.CONSUMER.CREATE.{STREAM}.x.gongzhi.events.320102.>",
                                       json.dumps(inject).encode(), timeout=1)
        await admin.violation("$JS.GONGZHI.API.CONSUMER.CREATE")

        # The API publishes checkpoints into their stream; the relay may not, and the stream holds the API's only.
        aj = api.client.jetstream()
        await aj.add_stream(StreamConfig(name=CHECKPOINT_STREAM, subjects=[CHECKPOINTS]))
        await aj.publish(CHECKPOINTS, b'{"treeSize": 1}', headers={"Nats-Msg-Id": "k:1"})
        assert (await aj.get_last_msg(CHECKPOINT_STREAM, CHECKPOINTS)).data == b'{"treeSize": 1}'
        await relay.client.publish(CHECKPOINTS, b'{"treeSize": 99}')
        await relay.violation(f'publish to "{CHECKPOINTS}"')
        assert (await aj.stream_info(CHECKPOINT_STREAM)).state.messages == 1
        assert (await js.stream_info(STREAM)).state.messages == 5


# --- the command line the images run ---------------------------------------------------------------------------


def cli_params(args: list[str]) -> tuple[str, dict[str, Any]]:
    """The `gongzhi` subcommand that `args` names and its parsed options, as the CLI (typer's click command) parses
    them: an unknown subcommand or option, or a value of the wrong type, fails the test."""
    import typer.main

    from backend.cli import app
    group = typer.main.get_command(app)
    assert args and args[0] in group.commands, f"{args!r}: no such gongzhi subcommand"  # type: ignore[attr-defined]
    assert "--help" not in args
    command = group.commands[args[0]]  # type: ignore[attr-defined]
    try:
        context = command.make_context(args[0], list(args[1:]))
    except Exception as e:  # noqa: BLE001 - click's UsageError (NoSuchOption, BadParameter, …), typer's vendored click
        pytest.fail(f"gongzhi {' '.join(args)}: {e}")
    return args[0], context.params


def test_cli_params_refuses_what_the_cli_refuses() -> None:
    assert cli_params(["serve", "--port", "8000", "--no-projections"])[1]["no_projections"] is True
    for wrong in (["serve", "--no-projection"], ["projector", "--port", "http"], ["relay", "--workers", "2"],
                  ["projectors"]):
        with pytest.raises((pytest.fail.Exception, AssertionError)):
            cli_params(wrong)


def settings_read_by_the_platform() -> set[str]:
    """Every GONGZHI_* variable the platform's code names (backend/config.py and the few read elsewhere)."""
    names: set[str] = set()
    for folder in ("backend", "projections"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\b(GONGZHI_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    return names


def unread_settings(names: Iterable[str]) -> list[str]:
    known = settings_read_by_the_platform()
    return sorted(n for n in names if n.startswith("GONGZHI_") and n not in known)


# --- Kubernetes ---------------------------------------------------------------------------------------------------

K8S = INFRA / "k8s" / "base"
KUBECTL = shutil.which("kubectl")
# The oldest Kubernetes release the base is written for, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.30", "latest")
# What the CloudNativePG operator defines (not in the Kubernetes schemas): checked against CNPG_CLUSTER_FIELDS.
CNPG_API = "postgresql.cnpg.io/v1"

# The fields of the CloudNativePG `Cluster` (postgresql.cnpg.io/v1) that infra/k8s/base/postgres.yaml uses, with their
# types and enums as the CRD gives them (cloudnative-pg/cloudnative-pg, config/crd/bases/postgresql.cnpg.io_clusters.yaml
# at a95a534d, August 2026). Kept by hand: a field added to postgres.yaml must be looked up in the CRD and added here.
# "map" is an object of free keys whose values have the given type; "quantity" an int or a Kubernetes quantity.
QUANTITY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)"
                      r"|(\.[0-9]+))))?$")
CNPG_CLUSTER_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "instances": ("integer", ()),  # minimum 1, the only required field
    "imageName": ("string", ()),
    "primaryUpdateStrategy": ("string", ("unsupervised", "supervised")),
    "bootstrap.initdb.database": ("string", ()),
    "bootstrap.initdb.owner": ("string", ()),
    "postgresql.parameters": ("map of string", ()),
    "postgresql.synchronous.method": ("string", ("any", "first")),  # required with number
    "postgresql.synchronous.number": ("integer", ()),  # > 0
    "postgresql.synchronous.dataDurability": ("string", ("required", "preferred")),
    "storage.size": ("string", ()),
    "walStorage.size": ("string", ()),
    "resources.requests": ("map of quantity", ()),
    "resources.limits": ("map of quantity", ()),
    "affinity.enablePodAntiAffinity": ("boolean", ()),
    "affinity.topologyKey": ("string", ()),
    "monitoring.enablePodMonitor": ("boolean", ()),
}


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def manifests_from_files() -> list[dict[str, Any]]:
    """The base's resources, file by file in kustomization.yaml's order, without kubectl (and so without the
    kustomization's namespace, labels and image names applied)."""
    documents = []
    for name in kustomization()["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return documents


def manifests_from_kustomize() -> list[dict[str, Any]]:
    if KUBECTL is None:
        pytest.skip("no kubectl on PATH: `kubectl kustomize` not run (the files are checked one by one instead)")
    rendered = subprocess.run([KUBECTL, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    return [d for d in yaml.safe_load_all(rendered.stdout) if d]


MANIFESTS = {"files": manifests_from_files, "kustomize": manifests_from_kustomize}


def named(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def test_every_file_of_the_base_is_one_of_its_resources() -> None:
    listed = kustomization()["resources"]
    on_disk = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk and len(set(listed)) == len(listed)


@pytest.mark.parametrize("source", sorted(MANIFESTS))
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_manifests_validate_against_the_kubernetes_schemas(source: str, version: str) -> None:
    """Every resource against the schema of its kind in the given Kubernetes release (kubernetes-validate's bundled
    schemas, strict: an unknown field is an error); a kind it has no schema for fails, except the CNPG `Cluster`."""
    import kubernetes_validate

    documents = MANIFESTS[source]()
    target = kubernetes_validate.latest_version() if version == "latest" else version
    checked = []
    for document in documents:
        what = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
        if document.get("apiVersion") == CNPG_API:
            assert document["kind"] == "Cluster", what  # test_the_cloudnative_pg_cluster_uses_fields_of_its_crd
            continue
        try:
            kubernetes_validate.validate(document, target, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{what} against Kubernetes {target}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            pytest.fail(f"{what}: {e.message}")
        checked.append(document["kind"])
    for kind in ("Namespace", "ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler",
                 "PodDisruptionBudget", "NetworkPolicy"):
        assert kind in checked, kind


def test_kubernetes_validate_refuses_an_unknown_field() -> None:
    """The strict validation above would catch a misspelt field (so its passing means something)."""
    import kubernetes_validate

    api = named(manifests_from_files(), "Deployment")["api"]
    api["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(api, KUBERNETES_VERSIONS[0], strict=True)


def crd_field_errors(spec: dict[str, Any], prefix: str = "") -> list[str]:
    errors = []
    for key, value in spec.items():
        path = prefix + key
        declared = CNPG_CLUSTER_FIELDS.get(path)
        if declared is None:
            if isinstance(value, dict) and any(f.startswith(path + ".") for f in CNPG_CLUSTER_FIELDS):
                errors += crd_field_errors(value, path + ".")
            else:
                errors.append(f"{path}: not a field of CNPG_CLUSTER_FIELDS")
            continue
        kind, allowed = declared
        if kind.startswith("map of "):
            of = kind.removeprefix("map of ")
            ok = isinstance(value, dict) and all(
                isinstance(v, str) if of == "string" else
                (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and bool(QUANTITY.match(v)))
                for v in value.values())
        else:
            ok = {"string": isinstance(value, str), "boolean": isinstance(value, bool),
                  "integer": isinstance(value, int) and not isinstance(value, bool)}[kind]
        if not ok:
            errors.append(f"{path}: {value!r} is not a {kind}")
        elif allowed and value not in allowed:
            errors.append(f"{path}: {value!r} is not one of {allowed}")
    return errors


@pytest.mark.parametrize("source", sorted(MANIFESTS))
def test_the_cloudnative_pg_cluster_uses_fields_of_its_crd(source: str) -> None:
    """The `Cluster` uses only fields of the CRD, with their types and enums (CNPG_CLUSTER_FIELDS), and makes what the
    Deployments name: the Secret <name>-app of the database's owner and the Service <name>-ro of the replicas."""
    documents = MANIFESTS[source]()
    clusters = named(documents, "Cluster")
    assert list(clusters) == ["gongzhi-pg"]
    cluster = clusters["gongzhi-pg"]
    assert cluster["apiVersion"] == CNPG_API and set(cluster) == {"apiVersion", "kind", "metadata", "spec"}
    spec = cluster["spec"]
    assert crd_field_errors(spec) == []
    assert spec["instances"] >= 2 and spec["postgresql"]["synchronous"]["number"] > 0
    assert {"method", "number"} <= set(spec["postgresql"]["synchronous"])
    wrong = {**spec, "primaryUpdateStrategy": "automatic", "instances": "3", "storageSize": "1Gi"}
    assert len(crd_field_errors(wrong)) == 3  # the check can fail
    database = spec["bootstrap"]["initdb"]
    for deployment in named(documents, "Deployment").values():
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["GONGZHI_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "gongzhi-pg-app", "key": "uri"}
        assert re.fullmatch(r"postgresql://\$\(PGUSER\):\$\(PGPASSWORD\)@gongzhi-pg-ro:5432/" + database["database"],
                            env["GONGZHI_READ_DATABASE_URL"]["value"])


ROLES = {"api": "serve", "projector": "projector", "relay": "relay"}


@pytest.mark.parametrize("source", sorted(MANIFESTS))
def test_the_deployments_run_the_platform_roles(source: str) -> None:
    """api, projector and relay: a real CLI command whose --port is the container's port, readiness on /readyz and
    liveness on /healthz there, resource requests, a non-root security context, settings the platform reads, every
    Secret key they name present; an HPA for the API, a PDB for each, and NetworkPolicies that select their pods."""
    documents = MANIFESTS[source]()
    deployments = named(documents, "Deployment")
    assert sorted(deployments) == sorted(ROLES)
    secrets_ = {name: set(s.get("stringData", s.get("data", {}))) for name, s in named(documents, "Secret").items()}
    secrets_["gongzhi-pg-app"] = {"username", "password", "dbname", "uri", "host", "port"}  # made by CloudNativePG
    config_maps = named(documents, "ConfigMap")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        (container,) = pod["spec"]["containers"]
        command, params = cli_params(container["args"])
        assert command == ROLES[name]
        if name == "api":
            assert params["no_projections"] is True and params["workers"] == 1  # one process a pod: the HPA scales
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert params["port"] == ports["http"] and params["host"] == "0.0.0.0"
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path and ports.get(get["port"], get["port"]) == params["port"], (name, probe)
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert pod["spec"]["securityContext"]["runAsNonRoot"] and pod["spec"]["securityContext"]["runAsUser"] != 0
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        names = [e["name"] for e in container["env"]]
        for source_ in container.get("envFrom", []):
            names += list(config_maps[source_["configMapRef"]["name"]]["data"])
        assert unread_settings(names) == [], name
        for variable in container["env"]:
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets_.get(ref["name"], set()), (name, ref)
        (image,) = kustomization()["images"]
        assert container["image"] in (image["name"], f"{image['newName']}:{image['newTag']}"), name
        budgets = [b for b in named(documents, "PodDisruptionBudget").values()
                   if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(budgets) == 1 and budgets[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"], name
        policies = [p for p in named(documents, "NetworkPolicy").values() if selects(p["spec"]["podSelector"], labels)]
        assert any("Egress" in p["spec"]["policyTypes"] and p["spec"]["podSelector"] for p in policies), name
    (hpa,) = named(documents, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    api_port = named(documents, "NetworkPolicy")["api-ingress"]["spec"]["ingress"][0]["ports"][0]["port"]
    assert api_port == deployments["api"]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert named(documents, "NetworkPolicy")["default-deny"]["spec"] == {"podSelector": {},
                                                                        "policyTypes": ["Ingress", "Egress"]}
    assert {"GONGZHI_SECRET", "GONGZHI_SIGNING_KEY"} <= secrets_["gongzhi-keys"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions with In) selects pods with these labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_kustomize_renders_the_files_in_the_namespace_with_the_image() -> None:
    """`kubectl kustomize` gives the same resources as the files, each in the namespace gongzhi, and the
    Deployments the image that the kustomization names."""
    rendered = manifests_from_kustomize()
    files = manifests_from_files()
    assert sorted((d["kind"], d["metadata"]["name"]) for d in rendered) == sorted(
        (d["kind"], d["metadata"]["name"]) for d in files)
    namespace = kustomization()["namespace"]
    assert all(d["metadata"].get("namespace") == namespace for d in rendered if d["kind"] != "Namespace")
    (image,) = kustomization()["images"]
    for deployment in named(rendered, "Deployment").values():
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{image['newName']}:{image['newTag']}"


# --- compose ------------------------------------------------------------------------------------------------------

COMPOSE = INFRA / "compose.yaml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # PyYAML resolves the file's anchors and `<<` merges


def compose_variables() -> dict[str, str]:
    """Every variable compose.yaml substitutes, with a value as infra/.env.example says to make one."""
    names = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    return {n: nats_password() for n in names}


def test_docker_compose_config() -> None:
    """`docker compose config` accepts the file (with every variable of infra/.env.example set), where the compose
    plugin is present."""
    docker = shutil.which("docker")
    plugin = docker and subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30)
    if not plugin or plugin.returncode != 0:
        pytest.skip("no `docker compose` on this machine (the structural checks below run in any case)")
    env = {**os.environ, **compose_variables()}
    checked = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], env=env,  # type: ignore[list-item]
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_the_env_example_lists_every_secret_compose_needs() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    optional = set(re.findall(r"\$\{([A-Z0-9_]+):-", text))
    example = (INFRA / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    commented = set(re.findall(r"^#\s*([A-Z0-9_]+)=", example, re.MULTILINE))
    assert required and required == listed and optional <= commented
    assert ".env" in (INFRA / ".gitignore").read_text().split()


def gongzhi_services(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("build", {}).get("dockerfile") == "infra/Dockerfile"}


def test_compose_plays_the_topology() -> None:
    """PostgreSQL primary and streaming replica, NATS with JetStream, two API processes without projections, two
    projectors, the relay; each Gongzhi service's command is one the CLI accepts, with its healthcheck on its --port;
    every depends_on names a service, every setting is one the platform reads, every mounted file exists."""
    services = compose()["services"]
    platform = gongzhi_services(services)
    roles: dict[str, list[str]] = {}
    for name, service in platform.items():
        command, params = cli_params(service["command"])
        roles.setdefault(command, []).append(name)
        if command == "serve":
            assert params["no_projections"] is True and params["workers"] == 1, name
        assert params["host"] == "0.0.0.0" and params["port"] is not None, name
        health = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{params['port']}/healthz" in health, name
        published = [str(p).rsplit(":", 1)[-1] for p in service.get("ports", [])]
        assert all(int(p) == params["port"] for p in published), name
        env = service["environment"]
        assert unread_settings(list(env)) == [], name
        assert "@postgres:5432/" in env["GONGZHI_DATABASE_URL"], name
        assert "@postgres-replica:5432/" in env.get("GONGZHI_READ_DATABASE_URL", "@postgres-replica:5432/"), name
        assert "@nats:4222" in env["GONGZHI_NATS_URL"], name
        assert service["image"] == "gongzhi:latest" and service["build"]["context"] == ".."
    assert {k: len(v) for k, v in roles.items()} == {"serve": 2, "projector": 2, "relay": 1}, roles
    assert services[roles["relay"][0]]["environment"]["GONGZHI_NATS_URL"].startswith("nats://relay:")

    primary, replica, nats_ = services["postgres"], services["postgres-replica"], services["nats"]
    assert primary["image"].startswith("postgres:") and replica["image"] == primary["image"]
    assert "wal_level=replica" in primary["command"] and "hot_standby=on" in replica["command"]
    assert any(v.endswith("/docker-entrypoint-initdb.d/10-replication.sh:ro") for v in primary["volumes"])
    assert replica["entrypoint"] == ["/usr/local/bin/replica-entrypoint.sh"]
    assert "pg_is_in_recovery()" in " ".join(replica["healthcheck"]["test"])
    entrypoint = INFRA / "postgres" / "replica-entrypoint.sh"  # mounted as the container's entrypoint: run, not sourced
    assert os.access(entrypoint, os.X_OK) and entrypoint.read_text().startswith("#!/bin/sh\n")
    script = entrypoint.read_text()
    assert "pg_basebackup" in script and "--write-recovery-conf" in script and "--slot replica1" in script
    assert "pg_create_physical_replication_slot('replica1')" in (INFRA / "postgres" / "primary-init.sh").read_text()
    assert nats_["image"].startswith("nats:") and "/etc/nats/nats.conf" in nats_["command"]
    assert "js-enabled-only=true" in " ".join(nats_["healthcheck"]["test"])
    assert "jetstream {" in compose_nats_config()

    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        if service.get("restart") != "no":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (INFRA / source).is_file(), (name, source)
            else:
                assert source in compose()["volumes"], (name, source)
    published = [str(p).split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(published) == len(set(published))


# --- the Dockerfile -----------------------------------------------------------------------------------------------

DOCKERFILE = INFRA / "Dockerfile"


def dockerfile_stages() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(image, stage name, [(instruction, arguments)]) of each stage, continuation lines joined, comments dropped."""
    stages: list[tuple[str, str, list[tuple[str, str]]]] = []
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text().splitlines()
                                          if not line.lstrip().startswith("#")))
    for line in text.splitlines():
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            found = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", arguments.strip(), re.IGNORECASE)
            assert found, f"a stage without a name: {line}"
            stages.append((found[1], found[2], []))
        else:
            assert stages, f"{line} before FROM"
            stages[-1][2].append((instruction.upper(), " ".join(arguments.split())))
    return stages


def test_the_dockerfile_builds_the_app_and_runs_it_unprivileged() -> None:
    """Multi-stage: a builder that installs the project (pyproject.toml, the packages setuptools finds) into a virtual
    environment, and a final stage that copies that environment from it, runs as a non-root user, and starts a CLI
    command the CLI accepts. Every file COPY'd from the context exists and is let through the ignore file."""
    stages = dockerfile_stages()
    assert len(stages) >= 2 and len({name for _, name, _ in stages}) == len(stages)
    (_, builder, build), (image, _, final) = stages[0], stages[-1]
    copied = [args.split() for instruction, args in build if instruction == "COPY"]
    sources = {s for parts in copied for s in parts[:-1] if not s.startswith("--")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert {"pyproject.toml", project["project"]["readme"], *packages} <= sources
    assert any(instruction == "RUN" and re.search(r"/opt/venv/bin/pip install \.(\s|$)", args)
               for instruction, args in build)
    users = [args for instruction, args in final if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(instruction == "COPY" and args.startswith(f"--from={builder} /opt/venv") for instruction, args in final)
    entrypoint = json.loads(next(a for i, a in final if i == "ENTRYPOINT"))
    command = json.loads(next(a for i, a in final if i == "CMD"))
    assert entrypoint == ["gongzhi"] and cli_params(command)[0] == "serve"
    assert any(i == "ENV" and "/opt/venv/bin" in a for i, a in final)
    # The app's persisted documents where backend/api/documents.py looks for them in an installed package: beside the
    # backend package, in the image's site-packages of its Python.
    python = re.fullmatch(r"python:(\d+\.\d+)\S*", image)
    assert python, image
    manifest = "frontend-spec/operations/manifest.json"
    assert any(i == "COPY" and a == f"{manifest} /opt/venv/lib/python{python[1]}/site-packages/{manifest}"
               for i, a in final)
    ignored = [line for line in (INFRA / "Dockerfile.dockerignore").read_text().splitlines()
               if line and not line.startswith("#")]
    assert ignored[0] == "*"  # everything out, then each thing the Dockerfile copies let in
    admitted = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    for source in sources | {manifest}:
        assert (ROOT / source).exists() and source in admitted, source
