import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE } from '../modelConfig';
import { EngineKind, KindError, requiredText } from './kind';

export const folder: EngineKind = {
  id: 'folder',
  label: 'Model folder',
  detail: 'A model folder on this machine (model.json, model.onnx and tokenizer.json), such as a converted DiffuCoder or Dream-Coder.',
  where: 'local',
  fields: [{ name: 'folder', setting: 'model.folder', flag: 'model', type: 'folder', prompt: 'The model folder', example: '/models/diffucoder-7b' }],
  source(values, context) {
    const dir = requiredText(folder, 'folder', values, context);
    if (!fs.existsSync(path.join(dir, CONFIG_FILE))) {
      throw new KindError(`${context.name(folder.fields[0])} is ${dir}, which has no ${CONFIG_FILE}: choose a model folder`, 'folder', folder.fields[0]);
    }
    return { kind: 'local', dir, runtime: context.runtime };
  },
};
