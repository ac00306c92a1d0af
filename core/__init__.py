"""What every app shares and nothing domain-specific: errors, the API's exception handler, hooks' base types.

core imports no other app of the project; every app may import it (see the layers in pyproject.toml).
"""
