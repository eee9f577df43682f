export * from './auth';
export * from './errors';
export * from './queue';
export { InfillCall, parseInfillBody } from '../core/protocol';
export * from './server';
export * from './stream';
