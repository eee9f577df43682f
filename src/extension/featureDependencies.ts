import * as vscode from 'vscode';
import { ErrorReporter } from './errorReporter';
import { Generations } from './generations';
import { ModelService } from './modelService';
import { ExtensionSettings } from './settings';

/** What every editor feature stands on: the model, the one place generations run, settings, the log and errors. */
export interface FeatureDependencies {
  models: ModelService;
  generations: Generations;
  settings: () => ExtensionSettings;
  log: vscode.LogOutputChannel;
  errors: ErrorReporter;
}
