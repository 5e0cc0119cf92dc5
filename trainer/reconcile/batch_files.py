"""The output and error files of evaluation batches: a local copy under
`.trainer/cache/batches/` (kept by actions/cache with the other caches), downloaded again
by file id when it is missing (a fresh machine), and read into `Outcomes`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.providers.batches import BatchClient
from trainer.reconcile.batch_calls import Outcomes
from trainer.state.batch_record import BatchRecord

BATCH_CACHE = ".trainer/cache/batches"


class BatchFiles:
    def __init__(self, root: Path, client: Callable[[], BatchClient]) -> None:
        self._directory = root / BATCH_CACHE
        self._client = client

    def text(self, file_id: str) -> str:
        path = self._directory / f"{file_id}.jsonl"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
        text = self._client().content(file_id)
        atomic_write(path, text.encode("utf-8"), durable=False)
        return text


def outcomes_of(batches: list[BatchRecord], files: BatchFiles) -> Outcomes:
    """Every answer and failure of the ended batches, oldest round first."""
    outcomes = Outcomes()
    for batch in sorted(batches, key=lambda b: b.round):
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                outcomes.add_output(files.text(file_id))
    return outcomes
