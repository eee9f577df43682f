// The server's errors are the protocol's: one HttpError for the server and its tests.
export { HttpError } from '../core/protocol';
