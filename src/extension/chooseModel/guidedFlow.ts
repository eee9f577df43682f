import * as vscode from 'vscode';
import { InfillEngine, InfillError } from '../../core';
import { EngineKind, KindField, KindValues, openKind } from '../../core/engineKinds';
import { parseHttpUrl, showUrl } from '../../core/remote';
import { ApiKeys, KEEP } from '../apiKeys';
import { secretUrl, settingName } from '../engineSource';

/** What a guided flow settles on: the kind's values and, for a remote kind, its key ('' for none, undefined to keep the stored one). */
export interface FlowAnswer {
  values: KindValues;
  key?: string;
}

/** The tiny fill a test request asks for: enough to show the endpoint, the model and the key work. */
const PROBE = { text: 'def add(a, b):\n    return \n', holes: [{ start: 26, end: 26, tokens: 4 }] };
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Asks for what a kind needs, one short step at a time (its URL, its model name, its key), then,
 * for a remote kind, sends a test request. Escape anywhere leaves every setting as it was; a
 * failed test offers to edit the answers or keep them anyway. Undefined: nothing to save.
 */
export async function guidedFlow(kind: EngineKind, current: KindValues, keys: ApiKeys, log: vscode.LogOutputChannel): Promise<FlowAnswer | undefined> {
  let values = { ...current };
  for (;;) {
    const asked = await askFields(kind, values);
    if (!asked) return undefined;
    values = asked;
    const url = secretUrl(kind, values);
    let key: string | undefined;
    if (kind.secret && url) {
      const stored = (await keys.lookup(url)) !== undefined;
      const typed = await keys.ask(url, kind.secret.label, stored);
      if (typed === undefined) return undefined;
      key = typed === KEEP ? undefined : typed;
    }
    if (kind.where === 'local') return { values, key };
    const problem = await testRequest(kind, values, key ?? (url ? await keys.lookup(url) : undefined), log);
    if (!problem) return { values, key };
    const choice = await vscode.window.showErrorMessage(`Diffusion Infill: the test request to ${kind.label} failed: ${problem}`, 'Edit', 'Save Anyway');
    if (choice === 'Save Anyway') return { values, key };
    if (choice !== 'Edit') return undefined;
  }
}

async function askFields(kind: EngineKind, start: KindValues): Promise<KindValues | undefined> {
  const values = { ...start };
  const steps = kind.fields.length + (kind.secret ? 1 : 0);
  for (const [i, field] of kind.fields.entries()) {
    const title = `${kind.label} (${i + 1} of ${steps}): ${field.prompt}`;
    const answer = await askField(field, title, values[field.name], (v) => problemWith(kind, field, { ...values, [field.name]: v }));
    if (answer === undefined) return undefined;
    values[field.name] = answer;
  }
  return values;
}

function askField(field: KindField, title: string, value: string | boolean | undefined, problem: (v: string) => string | undefined) {
  switch (field.type) {
    case 'boolean':
      return Promise.resolve(
        vscode.window.showQuickPick(
          [
            { label: 'No', on: false },
            { label: 'Yes', on: true },
          ],
          { title, ignoreFocusOut: true },
        ),
      ).then((choice) => choice?.on);
    case 'folder':
      return Promise.resolve(
        vscode.window.showOpenDialog({ title, canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use This Model Folder' }),
      ).then(async (picked) => {
        const dir = picked?.[0]?.fsPath;
        const wrong = dir === undefined ? undefined : problem(dir);
        if (wrong) void vscode.window.showErrorMessage(`Diffusion Infill: ${wrong}`);
        return wrong ? undefined : dir;
      });
    default:
      return Promise.resolve(
        vscode.window.showInputBox({
          title,
          value: typeof value === 'string' ? value : '',
          placeHolder: field.example ? `e.g. ${field.example}` : undefined,
          prompt: `Saved in ${settingName(field)}`,
          ignoreFocusOut: true,
          validateInput: (v) => problem(v.trim()),
        }),
      ).then((v) => v?.trim());
  }
}

/** What is wrong with one answer, in the words the box shows under it. */
function problemWith(kind: EngineKind, field: KindField, values: KindValues): string | undefined {
  const value = values[field.name];
  if (field.optional || field.type === 'boolean') return undefined;
  if (typeof value !== 'string' || value === '') return `${field.prompt} is needed${field.example ? `, e.g. ${field.example}` : ''}`;
  try {
    if (field.type === 'url') parseHttpUrl(value, field.example ?? 'http://host:port', []);
    if (field.type === 'folder') kind.source(values, { name: settingName });
  } catch (e) {
    if (e instanceof InfillError) return e.message;
    throw e;
  }
  return undefined;
}

/** Opens the engine with the answers and asks it for a tiny fill; the problem in words, or undefined when it answered. */
async function testRequest(kind: EngineKind, values: KindValues, secret: string | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const url = secretUrl(kind, values) ?? '';
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Diffusion Infill: trying ${kind.label} at ${showUrl(url)}…`, cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
      token.onCancellationRequested(() => abort.abort());
      try {
        const engine: InfillEngine = await openKind(kind, values, { name: settingName, secret }, abort.signal);
        let answered = false;
        for await (const event of engine.infill(PROBE, { steps: 4 }, abort.signal)) answered ||= event.type === 'result';
        if (!answered) return 'it ended without a result';
        log.info(`choose model: ${kind.id} at ${showUrl(url)} answered a test request (${engine.info.name})`);
        return undefined;
      } catch (e) {
        const message = abort.signal.aborted && !token.isCancellationRequested ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : (e as Error).message;
        log.warn(`choose model: the test request to ${kind.id} at ${showUrl(url)} failed: ${message}`);
        return message;
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
