import * as vscode from 'vscode';
import { Generations } from './generations';

/** `diffusionInfill.generating`: true while any generation runs, so the cancel key only applies then. */
export function trackGeneratingContextKey(generations: Generations): vscode.Disposable {
  const set = (on: boolean) => void vscode.commands.executeCommand('setContext', 'diffusionInfill.generating', on);
  const subscriptions = [generations.onDidStart(() => set(true)), generations.onDidEnd(() => set(generations.running !== undefined))];
  return vscode.Disposable.from(...subscriptions);
}
