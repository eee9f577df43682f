import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What the user sees, asked of the browser that shows the workbench (test/vscode/pageBridge.mjs):
 * the extension host cannot read the page itself. Under runCodeServer.mjs only; a run without
 * the page (runElectron) fails these tests with that reason.
 */
const BRIDGE = process.env.DIFFUSION_INFILL_PAGE_BRIDGE;
let next = 0;

export type PageRequest =
  | { action: 'read'; selector: string }
  | { action: 'wait'; selector: string; timeoutMs?: number; state?: 'visible' | 'hidden' | 'attached' | 'detached' }
  | { action: 'press'; keys: string[] }
  | { action: 'type'; text: string }
  | { action: 'click'; selector: string; timeoutMs?: number }
  /** A PNG under .test-artifacts/vscode/; the reply is its path from the repository root. */
  | { action: 'shot'; name: string; selector?: string };

async function ask<T>(request: PageRequest, timeoutMs = 60_000): Promise<T> {
  if (!BRIDGE) throw new Error('no page to look at: run the suite with npm run test:vscode (code-server), which shows the workbench in a browser');
  const id = `${process.pid}-${String(next++).padStart(6, '0')}`;
  const file = path.join(BRIDGE, `${id}.request.json`);
  fs.writeFileSync(file + '.tmp', JSON.stringify(request));
  fs.renameSync(file + '.tmp', file);
  const reply = path.join(BRIDGE, `${id}.reply.json`);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(reply)) {
    if (Date.now() > deadline) throw new Error(`the page did not answer ${JSON.stringify(request)} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const answer = JSON.parse(fs.readFileSync(reply, 'utf8')) as { ok: boolean; value?: T; error?: string };
  fs.rmSync(reply);
  if (!answer.ok) throw new Error(`the page could not ${request.action}: ${answer.error}`);
  return answer.value as T;
}

/** An element as the page draws it; `naturalWidth` only for an image. */
export interface PageElement {
  text: string;
  label: string;
  width: number;
  height: number;
  naturalWidth?: number;
}

export const page = {
  /** The text and aria-label of every element the selector finds (webviews included). */
  read: (selector: string) => ask<PageElement[]>({ action: 'read', selector }),
  wait: (selector: string, timeoutMs?: number, state?: 'visible' | 'hidden' | 'attached' | 'detached') =>
    ask<boolean>({ action: 'wait', selector, timeoutMs, state }, (timeoutMs ?? 10_000) + 30_000),
  press: (...keys: string[]) => ask<boolean>({ action: 'press', keys }),
  type: (text: string) => ask<boolean>({ action: 'type', text }),
  click: (selector: string) => ask<boolean>({ action: 'click', selector }),
  shot: (name: string, selector?: string) => ask<string>({ action: 'shot', name, selector }),
};

/** The status bar item as the user sees it: its text (codicons drawn, not written) and its tooltip. */
export async function statusItem(): Promise<{ text: string; label: string }> {
  const [item] = await page.read('[id*="diffusionInfill.status"]');
  if (!item) throw new Error('no Diffusion Infill item in the status bar');
  return { text: item.text.trim(), label: item.label };
}

/** Waits until the status bar item's text (and its tooltip, when given) match, or fails with what it said last. */
export async function statusItemSays(pattern: RegExp, label?: RegExp, timeoutMs = 10_000): Promise<{ text: string; label: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = await statusItem();
    if (pattern.test(item.text) && (!label || label.test(item.label))) return item;
    if (Date.now() > deadline) throw new Error(`the status bar item says "${item.text}" (${item.label}), not ${pattern} ${label ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
