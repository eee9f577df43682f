import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALG_OPTION, ALGS, NUMBER_OPTIONS } from '../../../src/core';
import { NUMBER_SETTINGS } from '../../../src/extension/settings';

interface Contributed {
  type: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Contributed> } };
};
const contributed = manifest.contributes.configuration.properties;
const setting = (key: string): Contributed => {
  const p = contributed[`diffusionInfill.${key}`];
  assert.ok(p, `package.json contributes diffusionInfill.${key}`);
  return p;
};
const types = (p: Contributed) => (Array.isArray(p.type) ? p.type : [p.type]);

describe('the option table and package.json', () => {
  it("contributes each sampler setting with the table's default, type and bounds", () => {
    for (const o of NUMBER_OPTIONS.filter((o) => o.setting)) {
      const p = setting(o.setting!.key);
      assert.equal(p.default, o.setting!.default, `${o.setting!.key}: default`);
      assert.ok(types(p).includes(o.integer ? 'integer' : 'number'), `${o.setting!.key}: type ${p.type}`);
      // A setting may be narrower than what the engine takes, never wider.
      if (p.minimum !== undefined) assert.ok(p.minimum >= o.min, `${o.setting!.key}: minimum ${p.minimum} under ${o.min}`);
      if (p.maximum !== undefined) assert.ok(p.maximum <= o.max, `${o.setting!.key}: maximum ${p.maximum} over ${o.max}`);
    }
    const alg = setting(ALG_OPTION.setting.key);
    assert.equal(alg.default, ALG_OPTION.setting.default);
    assert.deepEqual([...(alg.enum ?? [])].sort(), [...ALGS, null].sort());
  });

  it("contributes the extension's own numeric settings with their defaults and bounds", () => {
    for (const [key, spec] of Object.entries(NUMBER_SETTINGS)) {
      const p = setting(key);
      assert.equal(p.default, spec.default, `${key}: default`);
      assert.ok(types(p).includes(spec.integer ? 'integer' : 'number'), `${key}: type ${p.type}`);
      assert.equal(p.minimum, spec.min, `${key}: minimum`);
      if (p.maximum !== undefined) assert.equal(p.maximum, spec.max, `${key}: maximum`);
    }
  });

  it('reads every numeric setting package.json contributes through one of the two tables', () => {
    const known = new Set([...NUMBER_OPTIONS.flatMap((o) => (o.setting ? [o.setting.key] : [])), ...Object.keys(NUMBER_SETTINGS)]);
    for (const [name, p] of Object.entries(contributed)) {
      if (types(p).some((t) => t === 'number' || t === 'integer')) assert.ok(known.has(name.replace(/^diffusionInfill\./, '')), `${name} is in no table`);
    }
  });

  it('gives every option one flag or body field of its own', () => {
    const flags = NUMBER_OPTIONS.flatMap((o) => (o.flag ? [o.flag] : []));
    const fields = NUMBER_OPTIONS.flatMap((o) => o.http);
    assert.equal(new Set(flags).size, flags.length);
    assert.equal(new Set(fields).size, fields.length);
    assert.ok(!flags.includes(ALG_OPTION.flag) && !fields.includes(ALG_OPTION.field));
  });
});
