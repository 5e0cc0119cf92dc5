"""`specs/policy.yaml`: rules a platform team sets per tenant scope (allowed licences)."""

from __future__ import annotations

from pydantic import Field

from trainer.specs.models import NonEmpty, Scope, SpecModel

POLICY_FILE = "specs/policy.yaml"


class ScopePolicy(SpecModel):
    allowed_licenses: list[NonEmpty] | None = None
    """None: any licence; a list: a datasheet licence must be one of these."""


class RepositoryPolicy(SpecModel):
    """Example:

    default: {allowed_licenses: [proprietary, CC-BY-4.0]}
    scopes:
      tenant_literacy: {allowed_licenses: [CC-BY-4.0]}
    """

    default: ScopePolicy = ScopePolicy()
    scopes: dict[Scope, ScopePolicy] = Field(default_factory=dict)

    def allowed_licenses(self, scope: str) -> list[str] | None:
        return self.scopes.get(scope, self.default).allowed_licenses
