import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE_KINDS, KIND_IDS, kindsTable } from '../../../src/core/engineKinds';

interface Contributed {
  type: string | string[];
  enum?: unknown[];
  enumItemLabels?: string[];
  default?: unknown;
  markdownDeprecationMessage?: string;
}

const ROOT = path.resolve(__dirname, '../../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Contributed> } };
};
const contributed = manifest.contributes.configuration.properties;

describe('the engine kinds and what is derived from them', () => {
  it("package.json's model.source offers exactly the kinds, in order, with their labels", () => {
    const source = contributed['diffusionInfill.model.source'];
    assert.deepEqual(source.enum, KIND_IDS);
    assert.deepEqual(
      source.enumItemLabels,
      ENGINE_KINDS.map((k) => k.label),
    );
    assert.equal(source.default, KIND_IDS[0]);
    assert.equal(new Set(KIND_IDS).size, KIND_IDS.length, 'one id per kind');
  });

  it("contributes each kind's own settings, and keeps the shared ones they replaced, deprecated", () => {
    for (const kind of ENGINE_KINDS) {
      for (const field of kind.fields) {
        const p = contributed[`diffusionInfill.${field.setting}`];
        assert.ok(p, `${kind.id}: package.json contributes diffusionInfill.${field.setting}`);
        assert.equal(p.type, field.type === 'boolean' ? 'boolean' : 'string', `${field.setting}: type`);
        if (field.legacy) assert.ok(contributed[`diffusionInfill.${field.legacy}`]?.markdownDeprecationMessage, `${field.legacy} is marked deprecated`);
      }
    }
    const settings = ENGINE_KINDS.flatMap((k) => k.fields.map((f) => f.setting));
    assert.equal(new Set(settings).size, settings.length, 'no two kinds share a setting');
    const known = new Set([
      ...settings,
      ...ENGINE_KINDS.flatMap((k) => k.fields.flatMap((f) => (f.legacy ? [f.legacy] : []))),
      'model.source',
      'model.device',
      'model.threads',
    ]);
    for (const name of Object.keys(contributed).filter((n) => n.startsWith('diffusionInfill.model.'))) {
      assert.ok(known.has(name.slice('diffusionInfill.'.length)), `${name} belongs to no kind`);
    }
  });

  it('gives a flag shared by two kinds one meaning, and a secret its own flag and variable', () => {
    const byFlag = new Map<string, string>();
    for (const field of ENGINE_KINDS.flatMap((k) => k.fields)) {
      const type = field.type === 'boolean' ? 'boolean' : 'string';
      assert.equal(byFlag.get(field.flag) ?? type, type, `--${field.flag}`);
      byFlag.set(field.flag, type);
    }
    for (const secret of ENGINE_KINDS.flatMap((k) => (k.secret ? [k.secret] : []))) {
      assert.ok(!byFlag.has(secret.flag), `--${secret.flag} is not also a field`);
      assert.match(secret.env, /^DIFFUSION_INFILL_[A-Z_]+$/);
    }
  });

  it('writes labels and details in plain words: the picker draws no Markdown', () => {
    for (const kind of ENGINE_KINDS) assert.doesNotMatch(kind.label + kind.detail, /[`*_[\]]/, kind.id);
  });

  it("docs/extension.md's table of model sources is the list's", () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs/extension.md'), 'utf8');
    const table = /<!-- engine kinds: written from src\/core\/engineKinds -->\n([\s\S]*?)\n<!-- \/engine kinds -->/.exec(docs)?.[1];
    assert.equal(table, kindsTable(), 'paste kindsTable() between the markers in docs/extension.md');
  });
});
