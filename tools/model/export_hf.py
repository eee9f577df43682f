"""Export a Hugging Face Dream-family checkpoint (Dream, Dream-Coder, DiffuCoder, Open-dCoder: Qwen2.5 layout)
to a model folder (docs/model-folder.md).

  python3 -m tools.model.export_hf HF_DIR OUT_DIR [--precision float32|float16|int8] [--name NAME] [--max-context N]

HF_DIR holds config.json, tokenizer.json and model.safetensors or sharded *.safetensors with
model.safetensors.index.json.  Safetensors are read directly (no safetensors package here).
Memory: the graph is traced in float32, so expect about three times the fp32 weight size in RAM
(a 7B model needs a machine with ~90 GB).
"""
import argparse
import os
import shutil

import torch

from .qwen2_bidir import PRECISIONS, Qwen2Bidir, Qwen2Config, export_onnx, write_model_json
from .safetensors_io import load_weights
from .safetensors_stream import read_checkpoint_docs


def first(x):
    return x[0] if isinstance(x, list) else x


def special_ids(tok_doc, cfg):
    """(mask, eos, pad, bos) ids: config first, then the tokenizer's added tokens."""
    added = {t["content"]: t["id"] for t in tok_doc.get("added_tokens", [])}
    vocab = tok_doc.get("model", {}).get("vocab", {})
    lookup = lambda s: added.get(s, vocab.get(s) if isinstance(vocab, dict) else None)  # noqa: E731
    mask = cfg.get("mask_token_id")
    if mask is None:
        mask = lookup("<|mask|>")
    eos = first(cfg.get("eos_token_id"))
    if eos is None:
        eos = lookup("<|endoftext|>")
    # DiffuCoder pads holes with <|dlm_pad|>; Dream pads with eos.
    pad = lookup("<|dlm_pad|>")
    if pad is None:
        pad = cfg.get("pad_token_id", eos)
    bos = cfg.get("bos_token_id")
    if mask is None or eos is None:
        raise SystemExit("cannot tell the mask / eos token ids from config.json or tokenizer.json")
    return mask, eos, pad, bos


def export(hf_dir, out_dir, precision="float32", name=None, max_context=None, external_data=None):
    hf_cfg, tok_doc = read_checkpoint_docs(hf_dir)
    cfg = Qwen2Config.from_hf(hf_cfg)
    state = load_weights(hf_dir)
    if "lm_head.weight" not in state and not cfg.tie_word_embeddings:
        raise SystemExit("checkpoint has no lm_head.weight and tie_word_embeddings is false")
    model = Qwen2Bidir(cfg)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and cfg.tie_word_embeddings)]
    unexpected = [k for k in unexpected if not k.endswith("rotary_emb.inv_freq")]
    if missing or unexpected:
        raise SystemExit(f"weights do not match the Qwen2 layout: missing {missing[:5]} unexpected {unexpected[:5]}")
    del state
    model.eval()
    mask, eos, pad, bos = special_ids(tok_doc, hf_cfg)
    max_tok = max([t["id"] for t in tok_doc.get("added_tokens", [])] + list(tok_doc["model"]["vocab"].values()))
    if max_tok >= cfg.vocab_size:
        raise SystemExit(f"tokenizer id {max_tok} does not fit the {cfg.vocab_size} logits")
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, os.path.join(out_dir, "model.onnx"), precision, external_data=external_data)
    shutil.copyfile(os.path.join(hf_dir, "tokenizer.json"), os.path.join(out_dir, "tokenizer.json"))
    name = name or os.path.basename(os.path.normpath(hf_dir))
    doc = write_model_json(
        out_dir, config=cfg, name=name, family="dream", vocabSize=cfg.vocab_size,
        maxContext=max_context or min(int(hf_cfg.get("max_position_embeddings", 2048)), 2048),
        maskTokenId=mask, eosTokenId=eos, padTokenId=pad, bosTokenId=bos,
        precision=precision,
        source=f"{hf_cfg.get('model_type', 'qwen2')} checkpoint "
               f"{hf_cfg.get('_name_or_path') or name}, exported by tools/model/export_hf.py")
    return model, doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hf_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--precision", choices=PRECISIONS, default="float32",
                    help="how the weights are stored; the arithmetic and the logits stay float32")
    ap.add_argument("--name")
    ap.add_argument("--max-context", type=int)
    ap.add_argument("--external-data", action="store_true", default=None,
                    help="weights in model.onnx.data even under 2 GB (automatic above)")
    args = ap.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    _, doc = export(args.hf_dir, args.out_dir, args.precision, args.name, args.max_context, args.external_data)
    size = sum(os.path.getsize(os.path.join(args.out_dir, f)) for f in os.listdir(args.out_dir))
    print(f"wrote {args.out_dir} ({size / 1e6:.1f} MB): vocab {doc['vocabSize']}, mask {doc['maskTokenId']}, "
          f"eos {doc['eosTokenId']}, pad {doc['padTokenId']}, bos {doc['bosTokenId']}, {doc['precision']}")


if __name__ == "__main__":
    main()
