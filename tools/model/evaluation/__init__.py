"""Evaluation: held-out infill, HumanEval-Infilling, the torch decoder, the engine driven from Python.
Imports corpus, references and folders; never training."""
