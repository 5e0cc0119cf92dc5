"""Where trainer is published: the package index name and the GitHub Action's home.

The import package and the command are `trainer`; on the package index that name
belongs to an unrelated project, so the distribution is `trainer-gitops`.
"""

from __future__ import annotations

DISTRIBUTION = "trainer-gitops"
ACTION_REPOSITORY = "trainer-gitops/trainer"
"""OWNER/REPO of the composite action (`action.yml` at the repository root)."""
