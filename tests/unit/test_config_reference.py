"""docs/config.md and the shipped JSON Schemas cannot drift from the settings and profiles
models: the doc's key table and the schema files must equal what the code generates now."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from console.config import reference, schema
from console.config.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def test_docs_config_md_has_the_generated_key_table():
    written = reference.block_in(DOC.read_text(encoding="utf-8"))
    assert written == reference.generated_block(), (
        "docs/config.md is stale: run `python -m console.config.reference docs/config.md`")


def test_every_settings_key_is_documented_with_a_default_and_a_meaning():
    table = reference.keys_table()
    for name, field in Settings.model_fields.items():
        assert f"| `{name}` |" in table
        assert field.description, f"Settings.{name} needs a description (it is the doc)"


@pytest.mark.parametrize("which", sorted(schema.SCHEMA_FILES))
def test_the_shipped_schema_equals_the_generated_one(which):
    shipped = schema.shipped_path(which).read_text(encoding="utf-8")
    assert shipped == schema.render(schema.GENERATORS[which]()), (
        f"run `call-console config schema {which} -o {schema.shipped_path(which)}`")


def _validator(which: str):
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(schema.shipped_path(which).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


CONFIG = '''
default_region = "GB"
read_timeout = 20
poll_concurrency = 4
active_env = "prod"
[environments.prod]
base_url = "https://api.example.com"
[environments.ci]
base_url = "https://staging.example.com"
auth = "token"
token_env = "CI_CALL_TOKEN"
[keymap]
"call.send" = "ctrl+y"
"app.jump" = ["ctrl+j", "f11"]
'''


def test_the_config_schema_accepts_a_good_file_and_names_bad_keys():
    validator = _validator("config")
    assert list(validator.iter_errors(tomllib.loads(CONFIG))) == []
    bad = tomllib.loads(CONFIG)
    bad["poll_concurenncy"] = 4  # a typo
    bad["read_timeout"] = 0
    bad["environments"]["ci"]["auth"] = "magic"
    where = sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(bad))
    assert where == ["environments.ci.auth", "poll_concurenncy", "read_timeout"]


def test_the_profiles_schema_accepts_a_good_file_and_names_bad_keys():
    validator = _validator("profiles")
    good = tomllib.loads('''
schema_version = 1
[agents.sales]
id = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
watch = true
[caller_ids.main]
number = "+14155551000"
[header_sets.crm]
headers = { "X-Campaign" = "fall" }
[templates.recall]
agent = "sales"
caller_id = "main"
header_sets = ["crm"]
fields = { priority = "high", ringing_timeout_seconds = 30 }
''')
    assert list(validator.iter_errors(good)) == []
    good["templates"]["recall"]["fields"] = {"priority": "asap", "ringing_timeout_seconds": 99,
                                             "agent_id": "x"}
    good["agents"]["sales"]["colour"] = "red"
    where = sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(good))
    assert where == ["agents.sales", "templates.recall.fields",
                     "templates.recall.fields.priority",
                     "templates.recall.fields.ringing_timeout_seconds"]


@pytest.mark.parametrize("which", sorted(schema.SCHEMA_FILES))
def test_config_schema_command_prints_the_shipped_schema(which):
    from console import cli

    result = CliRunner().invoke(cli.main, ["config", "schema", which])
    assert result.exit_code == 0, result.output
    assert result.stdout == schema.shipped_path(which).read_text(encoding="utf-8")
    where = CliRunner().invoke(cli.main, ["config", "schema", which, "--path"])
    assert Path(where.stdout.strip()) == schema.shipped_path(which)
