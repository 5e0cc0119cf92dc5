"""Declarative specs: models, YAML loading with positions, and cross-file checks."""
