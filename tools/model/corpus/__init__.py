"""The bundled model's corpus (licences, file filters, dedup) and its byte-level BPE tokenizer.
Imports nothing else of tools.model but paths."""
