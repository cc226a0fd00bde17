"""Trusted documents: the app's persisted documents and the rule for a request's document.

The operations in `frontend-spec/operations/` (one named operation per file) are the app's
persisted documents, each identified by the SHA-256 of its text (hex). `gongzhi operations manifest`
writes them to `manifest.json` beside them in Apollo's persisted query manifest format
(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{id, name, type, body}]}`);
the server loads it at start and serves it at `/app/persisted-documents.json`.

A request names a persisted document by `extensions.persistedQuery.sha256Hash` (Apollo's format) or
by `documentId: "sha256:<hex>"` (the GraphQL-over-HTTP persisted documents proposal) instead of
`query`. `GONGZHI_TRUSTED_DOCUMENTS` says what else runs: `off` and `allow` run any valid raw
document too, `only` refuses one (PERSISTED_QUERY_REQUIRED) unless an ADMIN token sent it. An id
that is not in the manifest is PERSISTED_QUERY_NOT_FOUND in every mode.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse

from backend.domain.errors import InvalidInput, PersistedQueryNotFound, PersistedQueryRequired

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "frontend-spec" / "operations"
MANIFEST = OPERATIONS / "manifest.json"
FORMAT = "apollo-persisted-query-manifest"
MODES = ("off", "allow", "only")
DOCUMENT_ID = re.compile(r"sha256:([0-9a-fA-F]{64})", re.ASCII)
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


def document_id(text: str) -> str:
    """A document's id: the SHA-256 of its text (UTF-8), in lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def operation_of(text: str) -> OperationDefinitionNode:
    """The one operation a persisted document holds (ValueError if it holds none, or more than one)."""
    definitions = parse(text).definitions
    if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode) or not definitions[0].name:
        raise ValueError("a persisted document holds exactly one named operation and nothing else")
    return definitions[0]


def build_manifest(directory: Path = OPERATIONS) -> dict[str, Any]:
    """The manifest of the operations in `directory` (`<OperationName>.graphql` each), by file name."""
    operations = []
    for path in sorted(directory.glob("*.graphql")):
        body = path.read_text(encoding="utf-8")
        operation = operation_of(body)
        if operation.name.value != path.stem:  # type: ignore[union-attr] - operation_of checked it has one
            raise ValueError(f"{path.name} holds operation {operation.name.value}; name the file after it")  # type: ignore[union-attr]
        operations.append({"id": document_id(body), "name": path.stem, "type": operation.operation.value,
                           "body": body})
    return {"format": FORMAT, "version": 1, "operations": operations}


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as its file holds it: indented JSON, non-ASCII as is, a final newline."""
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def write_manifest(directory: Path = OPERATIONS, path: Path | None = None) -> Path:
    """Write the manifest of `directory` (to `manifest.json` in it unless `path` says otherwise)."""
    path = path or directory / "manifest.json"
    path.write_text(manifest_text(build_manifest(directory)), encoding="utf-8")
    return path


def requested_id(extensions: Any, document: Any) -> str | None:
    """The persisted document a request names (lowercase hex), by either format, or None.
    A malformed id, or two ids that differ, are INVALID_INPUT."""
    ids: list[str] = []
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is not None:
        sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(sha, str) or not SHA256_HEX.fullmatch(sha):
            raise InvalidInput("extensions.persistedQuery.sha256Hash must be a SHA-256 in hex (64 digits)",
                               field="extensions.persistedQuery")
        ids.append(sha.lower())
    if document is not None:
        match = DOCUMENT_ID.fullmatch(document) if isinstance(document, str) else None
        if match is None:
            raise InvalidInput('documentId must be "sha256:" and a SHA-256 in hex (64 digits)', field="documentId")
        ids.append(match.group(1).lower())
    if len(set(ids)) > 1:
        raise InvalidInput("documentId and extensions.persistedQuery name different documents", field="documentId")
    return ids[0] if ids else None


@dataclass(frozen=True)
class PersistedDocuments:
    """The app's persisted documents, by id, and the trusted-documents mode they are served in."""

    mode: str = "off"
    bodies: Mapping[str, str] = field(default_factory=dict)
    manifest: bytes = b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": []}\n'

    @classmethod
    def load(cls, mode: str, path: Path = MANIFEST) -> PersistedDocuments:
        """The manifest at `path`. Without one, `only` cannot serve the app: that is an error at start;
        the other modes run with no persisted documents (and say so)."""
        if mode not in MODES:
            raise InvalidInput(f"GONGZHI_TRUSTED_DOCUMENTS must be one of {', '.join(MODES)}",
                               field="GONGZHI_TRUSTED_DOCUMENTS")
        if not path.exists():
            if mode == "only":
                raise InvalidInput(f"GONGZHI_TRUSTED_DOCUMENTS=only needs the manifest {path} "
                                   "(gongzhi operations manifest writes it)", field="GONGZHI_TRUSTED_DOCUMENTS")
            log.warning("no persisted documents: %s does not exist", path)
            return cls(mode)
        raw = path.read_bytes()
        try:
            manifest = json.loads(raw)
            if manifest.get("format") != FORMAT or manifest.get("version") != 1:
                raise ValueError(f"no {FORMAT} of version 1")
            bodies = {op["id"]: op["body"] for op in manifest["operations"]}
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise InvalidInput(f"{path} is no persisted query manifest ({e}); run gongzhi operations manifest",
                               field="GONGZHI_TRUSTED_DOCUMENTS") from None
        if any(not isinstance(body, str) or document_id(body) != id_ for id_, body in bodies.items()):
            raise InvalidInput(f"{path}: an operation's id is not the SHA-256 of its body; run gongzhi operations "
                               "manifest", field="GONGZHI_TRUSTED_DOCUMENTS")
        return cls(mode, bodies, raw)

    def resolve(self, query: Any, extensions: Any, document: Any, is_admin: Callable[[], bool]) -> Any:
        """The document a request runs: the persisted one it names, or its own `query`, as the mode
        allows. `document` is the request's `documentId`; `is_admin` is asked (it verifies the
        token) only when a raw document meets `only`."""
        wanted = requested_id(extensions, document)
        if wanted is None:
            if query is not None:
                self.check_raw(is_admin)
            return query
        if query is not None:  # a document sent with its id (as Apollo's client does after a miss)
            if not isinstance(query, str) or document_id(query) != wanted:
                raise InvalidInput("the document's SHA-256 is not the id sent with it", field="documentId")
            if wanted not in self.bodies:
                self.check_raw(is_admin)
            return query
        body = self.bodies.get(wanted)
        if body is None:
            raise PersistedQueryNotFound(f"no persisted document has the id {wanted}")
        return body

    def check_raw(self, is_admin: Callable[[], bool]) -> None:
        """A raw document runs in `off` and `allow`; in `only`, only an administrator's."""
        if self.mode == "only" and not is_admin():
            raise PersistedQueryRequired("this server runs persisted documents only: send documentId "
                                         "(\"sha256:<hex>\") or extensions.persistedQuery.sha256Hash, not query")
