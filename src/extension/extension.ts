import * as vscode from 'vscode';
import { unloadModels } from '../core';
import { trackGeneratingContextKey } from './contextKeys';
import { registerApiKeys } from './apiKeys';
import { openConfiguredEngine, settingsProblem } from './engineSource';
import { ErrorReporter } from './errorReporter';
import { reportFailure } from './featureDependencies';
import { FILL_SELECTION_COMMAND, fillSelection, FillOutcome } from './fill/fillSelection';
import { Generations } from './generations';
import { DiffusionInlineProvider } from './inline/inlineProvider';
import { ContextPrefill } from './inline/prefill';
import { ModelService } from './modelService';
import { ExtensionSettings, readSettings } from './settings';
import { createStatusBar, SHOW_LOG_COMMAND } from './statusBar';
import { ProposalGate } from './syntax/proposalGate';
import { startTestEntryIfAsked } from './testEntry';
import { Snooze } from './menu/snooze';
import { registerStatusMenu } from './menu/statusMenu';
import { registerSwitches } from './menu/switches';
import { registerChooseModel } from './chooseModel/chooseModel';
import { registerHfToken } from './models/hubAccess';
import { registerManageModels } from './models/manageModels';
import { registerDraftsPanel } from './panel/draftsPanel';
import { registerRefactor } from './refactor/registerRefactor';

export const CANCEL_COMMAND = 'diffusionInfill.cancel';
export const RELOAD_MODEL_COMMAND = 'diffusionInfill.reloadModel';

/** What activate() returns: the pieces a drafts panel, another extension or a test can follow. */
export interface DiffusionInfillApi {
  generations: Generations;
  models: ModelService;
  inline: DiffusionInlineProvider;
  prefill: ContextPrefill;
  fillSelection(editor?: vscode.TextEditor): Promise<FillOutcome>;
}

/**
 * Wires the small modules together; it owns no behaviour of its own. Nothing heavy happens
 * here: the model is opened on first use by ModelService (a completion, or the read ahead of one
 * when a file comes into view).
 */
export function activate(context: vscode.ExtensionContext): DiffusionInfillApi {
  const log = vscode.window.createOutputChannel('Diffusion Infill', { log: true });
  const settings = (): ExtensionSettings => {
    const config = vscode.workspace.getConfiguration('diffusionInfill');
    return readSettings((key) => config.get(key));
  };
  // The engine is reopened when a key changes: the old one holds the old key.
  const apiKeys = registerApiKeys(
    context,
    () => settings().model,
    () => models.reset(),
  );
  const models = new ModelService(
    () => settings().model,
    (model, say) => openConfiguredEngine(model, say, apiKeys.lookup),
    (m) => log.info(m),
    settingsProblem,
    // A model that crashed or stopped answering: a generation that fails with it says so itself;
    // after a Cancel, or with none running, the user hears it here.
    (reason) => {
      if (!generations.running || generations.running.cancelled) errors.report(reason, 'model');
    },
  );
  const generations = new Generations();
  const errors = new ErrorReporter(log, () => (models.state.kind === 'error' ? models.state.message : undefined));
  const snooze = new Snooze();
  const inline = new DiffusionInlineProvider({ models, generations, settings, log, errors, snooze });
  const prefill = new ContextPrefill({ models, generations, settings, log, errors, snooze });
  const gate = new ProposalGate(context.asAbsolutePath('dist/syntax'), () => settings().syntaxCheck, log);
  const proposals = registerRefactor(context, { models, generations, settings, log, errors, gate });
  const fillDeps = { models, generations, settings, log, errors, proposals, gate };
  // Anything unforeseen is said in our words and logged, not as VS Code's bare "command failed".
  const fill = (editor?: vscode.TextEditor) => fillSelection(fillDeps, editor).catch((e) => reportFailure(fillDeps, 'fill', e));

  context.subscriptions.push(
    log,
    models,
    generations,
    inline,
    prefill,
    snooze,
    createStatusBar(models, generations, settings, snooze, inline.onDidDecide),
    registerStatusMenu(snooze, settings, models),
    registerSwitches(snooze, settings),
    registerChooseModel(settings, apiKeys, log, { context, settings, models, log }),
    registerManageModels(settings, log),
    registerHfToken(context),
    trackGeneratingContextKey(generations),
    vscode.languages.registerInlineCompletionItemProvider([{ pattern: '**' }, { scheme: 'untitled' }], inline),
    vscode.commands.registerCommand(FILL_SELECTION_COMMAND, () => fill()),
    vscode.commands.registerCommand(CANCEL_COMMAND, () => generations.cancel()),
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => log.show()),
    vscode.commands.registerCommand(RELOAD_MODEL_COMMAND, async () => {
      generations.cancel();
      models.reset();
      await unloadModels();
      inline.cache.clear();
      await models.engine().catch((e) => errors.report(e, 'reload model', { always: true }));
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('diffusionInfill.model') || e.affectsConfiguration('diffusionInfill.models.folder')) {
        log.info('model settings changed: the model reloads on next use');
        generations.cancel();
        models.reset();
        void unloadModels();
      }
      if (e.affectsConfiguration('diffusionInfill')) inline.cache.clear();
    }),
  );
  registerDraftsPanel(context, { models, generations, proposals, log });
  log.info(`activated (VS Code ${vscode.version}, ${process.platform}-${process.arch}, node ${process.versions.node})`);
  startTestEntryIfAsked(log);
  return { generations, models, inline, prefill, fillSelection: fill };
}

export function deactivate(): Promise<void> {
  return unloadModels();
}
