"""Reports: a pinned Markdown body, escaped model output, the size limit, JSON and JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_snapshot.plugin import Snapshot

from tests.harness.test_runner import SUITE, loaded, pick
from trainer import __version__
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import Evaluation, EvaluationRequest, evaluate
from trainer.harness.gate import GateRules
from trainer.harness.report import render_json, render_junit, render_markdown
from trainer.providers.openai_provider import OpenAIProvider

SNAPSHOTS = Path(__file__).parent / "snapshots"
HOSTILE = "@octocat closes #12 <img src=x onerror=alert(1)> [click](https://evil.test) `code` what is 2 + 2"


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with background(EmulatorState()) as running:
        yield running


def run_eval(emu: RunningEmulator, suite_body: dict[str, object] = SUITE) -> Evaluation:
    suite = loaded(suite_body)
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        baseline="gpt-4.1-nano-2025-04-14",
        tests=pick(suite, "telling"),
        rules=GateRules(thresholds={"pedagogy_score": 0.8, "telling": 0.5}),
        spec="math-socratic-tutor",
        revision="a" * 64,
    )
    result = evaluate(
        OpenAIProvider(api_key="sk", base_url=emu.base_url), ResponseCache(None), request
    )
    result.started = result.finished = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    return result


def test_markdown_report_is_pinned(emu: RunningEmulator, snapshot: Snapshot) -> None:
    snapshot.snapshot_dir = SNAPSHOTS
    # The version changes with every release; the report's shape must not.
    report = render_markdown(run_eval(emu)).replace(f"trainer {__version__},", "trainer VERSION,")
    snapshot.assert_match(report, "report.md")


def test_model_output_cannot_mention_close_issues_or_inject_html(emu: RunningEmulator) -> None:
    body = json.loads(json.dumps(SUITE))
    body["tests"]["telling"]["cases"][0]["messages"][0]["content"] = HOSTILE
    text = render_markdown(run_eval(emu, body))
    assert "@octocat" not in text
    assert "#12" not in text
    assert "<img" not in text
    assert "[click](" not in text
    assert "&#91;click&#93;(https:\u200b//evil.test)" in text
    assert "https://evil.test" not in text, "a URL after escaped brackets still autolinks"
    assert "@\u200boctocat" in text


def test_forced_promotion_is_stated_first(emu: RunningEmulator) -> None:
    result = run_eval(emu)
    result.request.forced = "hotfix for exam week"
    assert render_markdown(result).startswith("> [!WARNING]\n> **Forced promotion.**")


def test_report_stays_under_the_pr_body_limit(emu: RunningEmulator) -> None:
    body = json.loads(json.dumps(SUITE))
    case = body["tests"]["telling"]["cases"][0]
    case["messages"][0]["content"] = "What is 2 + 3? " + "Please explain slowly. " * 300
    body["tests"]["telling"]["cases"] = [{**case, "id": f"long-{i}"} for i in range(60)]
    text = render_markdown(run_eval(emu, body), full_report=".trainer/reports/x.json")
    assert len(text) <= 65_536 - 1_500
    assert "more failing case(s), cut to keep this under GitHub's size limit" in text
    assert ".trainer/reports/x.json" in text


def test_json_report_carries_everything_needed_to_reproduce(emu: RunningEmulator) -> None:
    data = json.loads(render_json(run_eval(emu)))
    identity = data["identity"]
    assert identity["suites"] == {"mini": {"path": "harness/mini.yaml", "digest": "0" * 40}}
    assert identity["sampling"]["mini"] == {"temperature": 0.0, "max_tokens": 100, "seed": 1}
    assert identity["system_fingerprints"] == ["trainer-emulator"]
    assert data["passed"] is False
    assert len(data["cases"]) == len(data["baseline_cases"]) == 6
    assert data["categories"]["pedagogy"]["delta"]["value"] == 0.0


def test_junit_lists_every_case(emu: RunningEmulator) -> None:
    root = ET.fromstring(render_junit(run_eval(emu)).split("\n", 1)[1])
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "pedagogy.telling"
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "6"
    assert suite.find("testcase/failure") is not None
