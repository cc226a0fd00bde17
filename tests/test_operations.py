"""The app's operations (frontend-spec/operations/): each file one named operation, named as the file,
valid against the served schema (schema/schema.graphql); and the persisted documents' manifest is the
one `gongzhi operations manifest` writes from them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate

from backend.api.documents import FORMAT, MANIFEST, OPERATIONS, build_manifest, document_id
from tests.harness import ROOT

FILES = sorted(OPERATIONS.glob("*.graphql"))


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    # Federation's directives (@link, @key) are not defined in the SDL itself: it is taken as valid.
    return build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"), assume_valid_sdl=True)


def test_the_operations_folder_holds_the_flows_operations() -> None:
    names = {path.stem for path in FILES}
    assert {"Me", "CommitteeInbox", "AcceptTask", "DeclineTask", "CompleteTask", "RecordActivity", "FileOrganization",
            "OpenEvaluationCampaign", "BurdenReport", "CommunityHome", "CastEvaluation", "EvaluationResults",
            "Communities", "CurrentDutyList", "DelegateTask", "SignServiceAgreement", "EntityHistory", "EventLog",
            "EntityAsOf"} <= names


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_each_operation_is_one_named_operation_named_as_its_file_and_valid(path: Path, schema: GraphQLSchema) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    assert len(document.definitions) == 1, f"{path.name}: one operation per file, no fragments or others"
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode) and operation.name is not None
    assert operation.name.value == path.stem
    assert validate(schema, document) == []


def test_operation_names_are_unique_even_without_case() -> None:
    names = [path.stem.lower() for path in FILES]
    assert len(names) == len(set(names))


def test_the_committed_manifest_is_the_one_the_command_writes(tmp_path: Path) -> None:
    """Fails when an operation changed and `gongzhi operations manifest` was not run (or the manifest was edited)."""
    out = tmp_path / "manifest.json"
    subprocess.run([sys.executable, "-m", "backend", "operations", "manifest", "-o", str(out)], cwd=ROOT,
                   check=True, capture_output=True, timeout=60)
    assert out.read_text(encoding="utf-8") == MANIFEST.read_text(encoding="utf-8"), \
        "frontend-spec/operations/manifest.json is stale: run `gongzhi operations manifest`"
    manifest = json.loads(out.read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT and manifest["version"] == 1
    assert [op["name"] for op in manifest["operations"]] == [path.stem for path in FILES]
    for op, path in zip(manifest["operations"], FILES):
        assert op["body"] == path.read_text(encoding="utf-8") and op["id"] == document_id(op["body"])
        assert op["type"] in ("query", "mutation", "subscription")
    assert manifest == build_manifest()


def test_the_command_refuses_a_file_not_named_after_its_operation(tmp_path: Path) -> None:
    (tmp_path / "Wrong.graphql").write_text("query Me { me { id } }\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "backend", "operations", "manifest", "--directory", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "error: Wrong.graphql holds operation Me; name the file after it"]
    assert not (tmp_path / "manifest.json").exists()
