"""The model tooling as a package, run from the repository root: `/usr/bin/python3 -m tools.model` lists
its commands (`python3 -m tools.model.SUBPACKAGE.NAME`); README.md in this folder gives the layout."""
