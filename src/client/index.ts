export * from './connection.js';
export * from './kafka-client.js';
