"""Model folders from Python: our weights as a checkpoint `diffusion-infill models convert` builds, a
built folder's weights read back and its graph run against torch, the test fixture folder.
Imports corpus and references."""
