import type { LogConfig } from '../../src/log/log-config.js';
import type { BuildRecordBatchOptions } from '../../src/protocol/records/index.js';

export declare const CRASH_LOG_CONFIG: Readonly<LogConfig>;
export declare function crashBatchOptions(seed: number, seq: number): BuildRecordBatchOptions;
