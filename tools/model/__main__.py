"""The model tooling's commands, one line each: `/usr/bin/python3 -m tools.model` from the repository root."""
import sys

# Every module that runs as a command, by its name under tools.model; tests/test_commands.py holds this
# list to the modules that have a `__main__` block, so a new or moved script cannot be left off.
COMMANDS = {
    "corpus.build": "builds the training corpus from pinned Debian and npm packages (never numpy) -> models/.train/corpus, carry",
    "corpus.train_bpe": "trains the byte-level BPE tokenizer on the corpus -> tools/model/corpus/tokenizer.json",
    "training.train": "trains the bundled model on a GPU (gpu_run.sh) or the CPU (resumable)",
    "training.export_bundled": "trained weights -> a model folder through `models convert`, with its MODEL_CARD.md",
    "evaluation.eval_heldout": "infill exact match and edit similarity on the held-out packages, against two baselines",
    "evaluation.humaneval_infill": "HumanEval-Infilling pass@1 through the engine, a checkpoint or any command",
    "evaluation.bench_reference": "the torch reference decoder timed on a model folder's weights (npm run bench)",
    "folders.make_test_model": "writes the unit tests' tiny model, test/fixtures/tiny-model",
    "folders.model_folder": "a model folder's weights written back out as a Dream-layout checkpoint",
    "references.make_tiny_hf_checkpoint": "a tiny random checkpoint of a downloadable layout, or one the builder must refuse",
    "references.p2_reference": "records Open-dLLM's p2 sampler on a scripted network -> test/fixtures/p2-reference.json",
}

# What runs beside them, not as a Python module.
OTHERS = {
    "bash tools/model/test.sh": "the tests under tools/model/tests (npm run test:model)",
    "bash tools/model/gpu_run.sh": "the one-call GPU training job (README.md, 'The GPU run')",
    "node tools/model/checks/check_tokenizer.mjs DIR": "a tokenizer.json in the engine's tokenizers package, round trips and ids",
    "node tools/model/checks/compare_onnx.mjs DIR CASE": "a model folder's graph in onnxruntime-node against torch's logits",
    "node tools/model/checks/check_built.mjs DIR CASE": "a built folder against torch: logits, cache, decide, greedy fill",
    "node tools/model/checks/engine_canvas.mjs TOKENIZER CASES": "the engine's canvases for the canvas test",
}


def main():
    width = max(len(name) for name in COMMANDS)
    print("/usr/bin/python3 -m tools.model.COMMAND --help, from the repository root:")
    for name, what in COMMANDS.items():
        print(f"  {name:<{width}}  {what}")
    print("and beside them:")
    for name, what in OTHERS.items():
        print(f"  {name}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
