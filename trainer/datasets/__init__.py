"""Training data: streamed validation, token counts, PII scanning, pricing and cost."""
