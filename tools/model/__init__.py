"""The model tooling as a package: every script here is a module, run from the repository root as
`/usr/bin/python3 -m tools.model.NAME` (README.md in this folder lists them)."""
