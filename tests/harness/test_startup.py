"""What `trainer eval` loads before its first request: what it needs, and no more.

Importing GitPython, jinja2 and the state's models costs a tenth of a second or more
each; an evaluation writing a JSON report against a repository without specs needs none
of them. Checked in a new interpreter, whose module table starts empty.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

PROBE = """
import sys
from pathlib import Path

from trainer.cli import eval as _command  # noqa: F401
from trainer.harness.report import render_json  # noqa: F401
from trainer.harness.standalone import standalone_request
from trainer.providers.openai_provider import OpenAIProvider  # noqa: F401

request = standalone_request(Path(sys.argv[1]), "gpt-4o-mini", concurrency=4)
assert sum(len(t.test.cases) for t in request.tests) == 3, request.tests
loaded = {name.partition(".")[0] for name in sys.modules} | set(sys.modules)
print(" ".join(sorted(m for m in ("git", "jinja2", "trainer.state.document") if m in loaded)))
"""


def test_eval_loads_neither_git_nor_templates_nor_the_state(tmp_path: Path) -> None:
    (tmp_path / "harness").mkdir()
    suite = {
        "suite": "quick",
        "category": "pedagogy",
        "tests": {
            "quick": {
                "cases": [
                    {
                        "id": f"c{i}",
                        "messages": [{"role": "user", "content": f"What is {i} + 1?"}],
                        "checks": [{"type": "icontains", "value": str(i + 1)}],
                    }
                    for i in range(3)
                ]
            }
        },
    }
    (tmp_path / "harness" / "quick.yaml").write_text(yaml.safe_dump(suite))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
