"""The torch and Python references the TypeScript is held to: the networks and layouts users download,
block quantization, safetensors I/O, tiny checkpoints, the engine's canvas rules, Open-dLLM's p2 sampler.
Imports corpus (the byte-level tokenizer writer) only."""
