"""The repository's tooling: `tools.model`, run from the repository root as `python3 -m tools.model.NAME`."""
