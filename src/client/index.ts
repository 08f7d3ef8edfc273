export * from './connection.js';
export * from './kafka-client.js';
export * from './group-admin.js';
export * from './consumer-protocol.js';
export * from './group-lag.js';
