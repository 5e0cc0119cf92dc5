"""Evaluation: suites (data), graders (pure), runner (I/O), scoring (statistics), reports."""
