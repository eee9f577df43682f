import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** package.json as the user meets it: the command palette, the Settings editor, the Marketplace page. */
const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8'));
const contributes = manifest.contributes;

describe('package.json as the user reads it', () => {
  it("Fill Selection's title says that a selection without holes is rewritten whole", () => {
    const fill = (contributes.commands as { command: string; title: string }[]).find((c) => c.command === 'diffusionInfill.fillSelection');
    assert.match(fill?.title ?? '', /^Diffusion Infill: Fill Selection \(Rewrites It If It Has No Holes\)$/);
  });

  it('links the repository, a home page and the issue tracker', () => {
    assert.match(manifest.repository?.url ?? '', /^https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
    assert.match(manifest.homepage ?? '', /^https:\/\//);
    assert.match(manifest.bugs?.url ?? '', /\/issues$/);
  });

  it('describes the sampler settings by what the user gets, not in research words', () => {
    const props = contributes.configuration.properties as Record<string, { markdownDescription?: string; enumDescriptions?: string[] }>;
    for (const [name, p] of Object.entries(props).filter(([n]) => n.startsWith('diffusionInfill.sampler.'))) {
      const words = [p.markdownDescription ?? '', ...(p.enumDescriptions ?? [])].join(' ');
      assert.doesNotMatch(words, /Fast-dLLM|keys and values|graph|logits|entropy|remask|commit|greedy|full pass/i, name);
    }
  });

  it("has a walkthrough title short enough for the Welcome page's list", () => {
    assert.ok(contributes.walkthroughs[0].title.length <= 24, contributes.walkthroughs[0].title);
  });
});
