"""The project's own engine (ONNX graph, TypeScript sampler), driven from Python through
`diffusion-infill serve`, so that evaluations score exactly what users run.

    with EngineServer(model_dir) as engine:
        fills = engine.fill(text, [{"start": 10, "end": 10, "tokens": 24}], threshold=0.9)
"""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from ..paths import ROOT

BIN = os.path.join(ROOT, "bin", "diffusion-infill.js")


class EngineServer:
    def __init__(self, model_dir=None, extra_args=()):
        args = ["node", BIN, "serve", "--port", "0"] + (["--model", model_dir] if model_dir else []) + list(extra_args)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"diffusion-infill serve did not start: {line!r}")
        self.url = line.split()[2]

    def fill(self, text, holes, **options):
        """The fills of `holes` (spans of `text`) and the figures, with each fill's confidence in
        stats["confidence"] and the time from sending to the first event in stats["firstDraftMs"];
        options are the server's sampler fields."""
        body = json.dumps({"text": text, "holes": holes, **options}).encode()
        req = urllib.request.Request(self.url + "/v1/infill", body, {"Content-Type": "application/json"})
        sent = time.perf_counter()
        first_draft = None
        try:
            r = urllib.request.urlopen(req, timeout=600)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"the engine refused the request ({e.code}): {e.read().decode(errors='replace')}") from None
        with r:
            for line in r:
                event = json.loads(line)
                if first_draft is None:
                    first_draft = 1000 * (time.perf_counter() - sent)
                if event.get("type") == "result":
                    return [h["text"] for h in event["holes"]], {**event["stats"], "firstDraftMs": first_draft,
                                                                 "confidence": [h.get("confidence") for h in event["holes"]]}
                if event.get("type") == "error":
                    raise RuntimeError(event.get("message"))
        raise RuntimeError("the server ended without a result")

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
