import * as vscode from 'vscode';
import { reportFailure } from '../featureDependencies';
import { ACCEPT_PROPOSAL_COMMAND, Proposals, REJECT_PROPOSAL_COMMAND } from './proposals';
import { refactorFunction, RefactorDependencies, REPAIR_FUNCTION_COMMAND, REWRITE_FUNCTION_COMMAND } from './refactorFunction';

/** Registers Rewrite Function, Repair Function and the Accept/Reject of their diff; returns the proposals for the panel. */
export function registerRefactor(context: vscode.ExtensionContext, deps: Omit<RefactorDependencies, 'proposals'>): Proposals {
  const proposals = new Proposals(deps.log);
  const all = { ...deps, proposals };
  context.subscriptions.push(
    proposals,
    // Anything unforeseen is said in our words and logged, not as VS Code's bare "command failed".
    vscode.commands.registerCommand(REWRITE_FUNCTION_COMMAND, () => refactorFunction(all, 'rewrite').catch((e) => reportFailure(all, 'refactor', e))),
    vscode.commands.registerCommand(REPAIR_FUNCTION_COMMAND, () => refactorFunction(all, 'repair').catch((e) => reportFailure(all, 'refactor', e))),
    vscode.commands.registerCommand(ACCEPT_PROPOSAL_COMMAND, () => proposals.accept()),
    vscode.commands.registerCommand(REJECT_PROPOSAL_COMMAND, () => proposals.reject()),
  );
  return proposals;
}
