import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir } from '../bundledModel';
import { CONFIG_FILE } from '../modelConfig';
import { EngineKind, KindError } from './kind';

export const bundled: EngineKind = {
  id: 'bundled',
  label: 'Bundled model',
  detail: 'The small model that ships with Diffusion Infill: runs on this machine, offline, no setup.',
  where: 'local',
  fields: [],
  source(_values, context) {
    const dir = bundledModelDir();
    if (!fs.existsSync(path.join(dir, CONFIG_FILE))) {
      throw new KindError(`this installation has no bundled model (looked in ${dir}): choose a model folder or a server instead`, 'bundled');
    }
    return { kind: 'local', dir, runtime: context.runtime };
  },
};
