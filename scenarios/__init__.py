"""What makes the conformance features run: pytest-bdd bindings and step definitions."""
