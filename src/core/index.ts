// The engine's public surface: what the CLI, the server and the extension import.
export * from './errors';
export * from './events';
export * from './holes';
export * from './options';
export * from './optionTable';
export * from './engine';
export * from './localEngine';
export * from './requestCanvas';
export * from './result';
export * from './modelConfig';
export * from './modelFolder';
export { EXECUTION_PROVIDERS, ExecutionProvider, RuntimeOptions } from './runtimeOptions';
export { LogitsModel } from './logitsModel';
export * from './bundledModel';
export * from './repair';
export * from './denoiseHoles';
export { countTokensUpTo } from './canvas';
