"""Adopting a batch after a crash reads the batch list back to its claim only: an account
with thousands of old batches is not paged through (the API cannot filter by metadata)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.emulator.test_batches import START, Clock, line, start
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState
from trainer.providers.batches import BatchClient

KEY = "sk-test-0123456789"


@pytest.fixture
def emu() -> Iterator[tuple[RunningEmulator, Clock]]:
    clock = Clock()
    with background(EmulatorState(clock=clock)) as running:
        yield running, clock


def test_find_stops_at_batches_older_than_the_claim(
    emu: tuple[RunningEmulator, Clock],
) -> None:
    running, clock = emu
    sdk = openai.OpenAI(api_key=KEY, base_url=running.base_url, max_retries=0)
    made = []
    for attempt in range(6):  # one an hour
        made.append(start(sdk, [line("a", "x")], spec="math", attempt=str(attempt % 2)))
        clock.now += 3600
    batches = BatchClient(api_key=KEY, base_url=running.base_url)
    requests = running.state.requests

    before = requests["GET /v1/batches"]
    everything = batches.find({"spec": "math", "attempt": "0"}, page=1)
    assert [b.id for b in everything] == [made[4], made[2], made[0]]
    assert requests["GET /v1/batches"] - before == 6, "one batch a page, every page"

    before = requests["GET /v1/batches"]
    recent = batches.find({"spec": "math", "attempt": "0"}, since=START + 3.5 * 3600, page=1)
    assert [b.id for b in recent] == [made[4]]
    assert requests["GET /v1/batches"] - before == 3, "stopped at the first older batch"
