/** Entry point of `bin/kafka-storage`; see storage-tool.ts. */
import { runStorageTool } from './storage-tool.js';

process.exitCode = await runStorageTool(process.argv.slice(2));
