"""The bundled model's training (CPU or the GPU job) and its export to a model folder.
Imports corpus, references and folders; never evaluation."""
