export * from './chatAnswer';
export * from './holeByHole';
export * from './http';
export * from './openaiChat';
export * from './openaiFim';
export * from './serverEngine';
