// The child process of `npm run bench:isolation`: the ONNX network on its own main thread,
// answering forwards over IPC, as the extension would if the model ran in a child process.
import { OnnxLogitsModel } from '../core/onnxModel';
import { readModelConfig } from '../core/modelConfig';

const dir = process.argv[2];
const send = (m: unknown) => process.send!(m);

OnnxLogitsModel.load(dir, readModelConfig(dir)).then(
  (model) => {
    send({ kind: 'ready' });
    process.on('message', async (m: { kind: string; id: number; ids: Int32Array; rows: number[] }) => {
      if (m.kind === 'abort') process.abort();
      if (m.kind === 'dispose') {
        await model.dispose();
        process.exit(0);
      }
      send({ kind: 'answer', id: m.id, answer: await model.logits(m.ids, m.rows) });
    });
  },
  (e: Error) => {
    send({ kind: 'failed', message: e.message });
    process.exit(1);
  },
);
