"""connlint rules: one module per rule code (see lint/registry.py)."""
