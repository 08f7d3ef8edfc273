export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { DecodeError, EncodeError } from './decode-error.js';
export { ZERO_UUID, uuidFromBytes, uuidToBytes, randomUuid } from './uuid.js';
