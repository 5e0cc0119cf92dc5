"""Where trainer keeps its own files in a GitOps repository: all under `.trainer/`,
which `trainer init` adds to `.gitignore`."""

from __future__ import annotations

LOCAL_DIR = ".trainer"
STATE_FILE = f"{LOCAL_DIR}/state.json"
DATASET_CACHE = f"{LOCAL_DIR}/cache/datasets"
RESPONSE_CACHE = f"{LOCAL_DIR}/cache/responses"
REPORTS = f"{LOCAL_DIR}/reports"
LOCAL_PRS = f"{LOCAL_DIR}/prs"
METRICS_FILE = f"{LOCAL_DIR}/metrics.prom"
REMOTE_DATASETS = f"{LOCAL_DIR}/cache/remote"
"""Remote datasets as fetched: `content/<sha256>.jsonl`, and which content each revision got."""
