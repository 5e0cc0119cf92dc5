"""Turning results into text, Markdown and JSON for people and machines."""
