"""Registry files read from git at promotion time get the limits every YAML file gets."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.helpers import registry_model
from trainer.errors import UsageError
from trainer.harness.graders import GRADERS
from trainer.promotion.registry_edit import parse

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_a_valid_registry_file_parses() -> None:
    text = yaml.safe_dump(registry_model(), sort_keys=False)
    text = text.replace("'2026-09-01T12:00:00Z'", "2026-09-01T12:00:00Z")
    assert parse(text).name == "tutor"


@pytest.mark.parametrize(
    "text", [BOMB, "name: x\nv: " + "[" * 2000 + "]" * 2000 + "\n"], ids=["alias-bomb", "deep"]
)
def test_a_hostile_registry_file_is_a_usage_error_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(UsageError, match=r"^specs/registry/m\.yaml:\d+:\d+: "):
        parse(text, "specs/registry/m.yaml")
    assert time.perf_counter() - start < 5


def test_deeply_nested_json_in_an_answer_fails_is_json_without_a_crash() -> None:
    grade = GRADERS["is_json"]("[" * 5000 + "]" * 5000, {})
    assert not grade.passed
    assert "nested too deep" in grade.reason
