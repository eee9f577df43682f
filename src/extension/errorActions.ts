import { InfillError } from '../core';
import { KindError } from '../core/engineKinds';
import { WALKTHROUGH } from './menu/menuItems';

/** A button of an error's toast: the command that fixes what went wrong, or shows more. */
export interface ErrorAction {
  title: string;
  command: string;
  args?: unknown[];
}

const CHOOSE_MODEL: ErrorAction = { title: 'Choose Model...', command: 'diffusionInfill.chooseModel' };
const SET_API_KEY: ErrorAction = { title: 'Set API Key', command: 'diffusionInfill.setApiKey' };
const SHOW_LOG: ErrorAction = { title: 'Show Log', command: 'diffusionInfill.showLog' };
/** The walkthrough's model step ships in the .vsix, unlike the repository's docs. */
const MODEL_GUIDE: ErrorAction = {
  title: 'Open Guide',
  command: 'workbench.action.openWalkthrough',
  args: [{ category: WALKTHROUGH, step: `${WALKTHROUGH}#model` }, false],
};
/** Where a fault of ours is reported: package.json's `bugs`. */
export const ISSUES_URL = 'https://github.com/diffusion-infill/diffusion-infill/issues';

/**
 * The buttons an error's toast offers, the one that fixes it first: a setting that is missing or
 * wrong opens that setting or Choose Model; a key the server refused, Set API Key; a model that
 * would not load or a server out of reach, Choose Model; a fault of ours, the issue tracker.
 * `modelFailed`: the error is why the model did not open.
 */
export function errorActions(error: unknown, modelFailed: boolean): ErrorAction[] {
  const message = error instanceof Error ? error.message : String(error);
  const actions: ErrorAction[] = [];
  if (error instanceof KindError) {
    actions.push(CHOOSE_MODEL);
    if (error.field) actions.push({ title: 'Open Setting', command: 'workbench.action.openSettings', args: [`diffusionInfill.${error.field.setting}`] });
    else actions.push(MODEL_GUIDE);
  } else if (/refused the credentials|\b40[13]\b|api key|token/i.test(message)) {
    actions.push(SET_API_KEY, CHOOSE_MODEL);
  } else if (modelFailed || /cannot reach|model folder|model\.json|tokenizer/i.test(message)) {
    actions.push(CHOOSE_MODEL, MODEL_GUIDE);
  } else if (!(error instanceof InfillError)) {
    actions.push({ title: 'Report Issue', command: 'vscode.open', args: [ISSUES_URL] });
  }
  return [...actions, SHOW_LOG];
}
