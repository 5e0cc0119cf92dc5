"""Promotion by pull request: registry edits, branches, and PR backends (GitHub, local)."""
