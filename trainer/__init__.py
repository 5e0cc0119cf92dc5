"""trainer: a GitOps runner for LLM fine-tuning."""

from __future__ import annotations

__version__ = "0.2.0"
