import { LoadedModel, LocalEngine } from '../core';
import { BatchingLogitsModel, BatchingOptions, canBatch } from '../core/batching';

export * from './auth';
export * from './errors';
export * from './queue';
export { InfillCall, parseInfillBody } from '../core/protocol';
export * from './server';
export * from './stream';

/** A local engine whose concurrent generations share forwards (when the network can batch). */
export function batchedLocalEngine(model: LoadedModel, options: BatchingOptions = {}): { engine: LocalEngine; batcher: BatchingLogitsModel | null } {
  if (!canBatch(model.network)) return { engine: new LocalEngine(model), batcher: null };
  const batcher = new BatchingLogitsModel(model.network, options);
  return { engine: new LocalEngine({ ...model, network: batcher }), batcher };
}
