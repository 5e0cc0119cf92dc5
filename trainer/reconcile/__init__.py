"""`trainer reconcile`: one idempotent, crash-safe pass that makes the world match the specs."""
