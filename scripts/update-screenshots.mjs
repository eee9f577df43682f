// node scripts/update-screenshots.mjs: copies the screenshots the end-to-end tests took with the
// bundled model (E2E_MODEL=bundled npm run test:e2e, and the same for test:e2e:panel) into
// media/screenshots/, where README.md, README.extension.md and the walkthrough show them (and
// the .vsix ships them). A screenshot the runs did not take is named, and the old one kept.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(ROOT, '.test-artifacts');
/** media/screenshots/<name> <- .test-artifacts/<run>/<file> */
const SHOTS = {
  'inline-draft.png': 'e2e-bundled/inline-draft.png',
  'fill-draft.png': 'e2e-bundled/fill-draft.png',
  'status-menu.png': 'e2e-bundled/status-menu.png',
  'panel.png': 'e2e-panel-bundled/panel-mid-generation.png',
  'repair-diff.png': 'e2e-panel-bundled/repair-diff.png',
};

let missing = 0;
for (const [name, from] of Object.entries(SHOTS)) {
  const source = path.join(artifacts, from);
  if (!fs.existsSync(source)) {
    console.error(`missing: .test-artifacts/${from} (run the bundled end-to-end tests first); media/screenshots/${name} kept`);
    missing++;
    continue;
  }
  fs.copyFileSync(source, path.join(ROOT, 'media/screenshots', name));
  console.log(`media/screenshots/${name} <- .test-artifacts/${from}`);
}
process.exit(missing ? 1 : 0);
