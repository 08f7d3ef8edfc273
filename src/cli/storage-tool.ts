/**
 * Kafka's storage tool (`kafka-storage`): `random-uuid` prints a new cluster id, `format`
 * writes meta.properties into every log dir of a node, `info` reports what the log dirs
 * hold. Flags, messages and exit codes follow Kafka's StorageTool; failures are one line on
 * stderr and exit code 1.
 *
 * Not (yet) here: --release-version, --feature, --add-scram and --initial-controllers (the
 * metadata log they seed does not exist yet). --standalone and --no-initial-controllers are
 * checked as Kafka checks them; the initial voter set is not persisted yet.
 */
import { randomFillSync } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { parseBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-error.js';
import { readPropertiesFile } from '../config/properties-file.js';
import {
  META_PROPERTIES_FILE,
  formatLogDir,
  readMetaProperties,
  type MetaProperties,
} from '../log/meta-properties.js';
import { randomUuid, uuidToBytes } from '../protocol/primitives/uuid.js';

export interface ToolOutput {
  /** One line for stdout (without the newline). */
  out(line: string): void;
  /** One line for stderr (without the newline). */
  err(line: string): void;
}

/** A failure reported as one line, as Kafka's TerseFailure. */
export class StorageToolError extends Error {
  override readonly name = 'StorageToolError';
}

export const processOutput: ToolOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the tool on `args` (without the program name) and returns the exit code. */
export async function runStorageTool(
  args: readonly string[],
  output: ToolOutput = processOutput,
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (err) {
    // Commander already printed its own usage errors (and help, exit code 0).
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof StorageToolError || err instanceof ConfigError) {
      output.err(err.message);
      return 1;
    }
    output.err(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

function buildProgram(output: ToolOutput, setExitCode: (code: number) => void): Command {
  const write = (print: (line: string) => void) => (text: string) =>
    text.replace(/\n$/, '').split('\n').forEach(print);
  const program = new Command('kafka-storage')
    .description('The Kafka storage tool: formats and inspects the log directories of a node.')
    .exitOverride()
    .configureOutput({ writeOut: write(output.out), writeErr: write(output.err) });

  program
    .command('random-uuid')
    .description('Print a random UUID, e.g. to use as a cluster id.')
    .action(() => {
      output.out(randomUuid((buf) => randomFillSync(buf)));
    });

  program
    .command('format')
    .description('Format the log directories of this node.')
    .requiredOption('-c, --config <file>', 'the broker configuration file')
    .requiredOption('-t, --cluster-id <id>', 'the cluster id (see random-uuid)')
    .option('-g, --ignore-formatted', 'skip directories that are already formatted')
    .option(
      '-s, --standalone',
      'start a dynamic controller quorum with this node as its only voter',
    )
    .option('-N, --no-initial-controllers', 'join a dynamic controller quorum started elsewhere')
    .action(async (options: FormatOptions) => {
      setExitCode(await formatCommand(options, output));
    });

  program
    .command('info')
    .description('Describe the log directories of this node.')
    .requiredOption('-c, --config <file>', 'the broker configuration file')
    .action(async (options: { config: string }) => {
      setExitCode(await infoCommand(options.config, output));
    });

  return program;
}

async function loadConfig(path: string, output: ToolOutput): Promise<BrokerConfig> {
  let props: Record<string, string>;
  try {
    props = await readPropertiesFile(path);
  } catch (err) {
    throw new StorageToolError(`Unable to read the configuration file: ${(err as Error).message}`);
  }
  const { config, warnings } = parseBrokerConfig(props);
  for (const warning of warnings) output.err(`WARN ${warning}`);
  return config;
}

/** Every directory this node keeps data in, sorted: the log dirs and the metadata log dir. */
function nodeDirectories(config: BrokerConfig): string[] {
  return [...new Set([...config.logDirs, config.metadataLogDir])].sort();
}

// ---------------------------------------------------------------------------------------------
// format

interface FormatOptions {
  config: string;
  clusterId: string;
  ignoreFormatted?: boolean;
  standalone?: boolean;
  /** False when --no-initial-controllers is given. */
  initialControllers: boolean;
}

async function formatCommand(options: FormatOptions, output: ToolOutput): Promise<number> {
  const config = await loadConfig(options.config, output);
  checkClusterId(options.clusterId);
  checkQuorumOptions(config, options);

  const directories = nodeDirectories(config);
  const alreadyFormatted = new Set<string>();
  for (const dir of directories) {
    if (await hasMetaProperties(dir)) alreadyFormatted.add(dir);
  }
  if (alreadyFormatted.size > 0 && !options.ignoreFormatted) {
    const [first] = alreadyFormatted;
    throw new StorageToolError(
      `Log directory ${first} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`,
    );
  }
  const toFormat = directories.filter((dir) => !alreadyFormatted.has(dir));
  if (toFormat.length === 0) {
    output.out('All of the log directories are already formatted.');
    return 0;
  }
  for (const dir of toFormat) {
    const kind = dir === config.metadataLogDir ? 'metadata' : 'data';
    output.out(`Formatting ${kind} directory ${dir} with cluster.id ${options.clusterId}.`);
    await formatLogDir(dir, { clusterId: options.clusterId, nodeId: config.nodeId });
  }
  return 0;
}

function checkClusterId(clusterId: string): void {
  let valid: boolean;
  try {
    valid = uuidToBytes(clusterId).toString('base64url') === clusterId;
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new StorageToolError(
      `Cluster ID string ${clusterId} does not appear to be a valid UUID: expected 16 bytes in URL-safe base64 (22 characters), as printed by 'kafka-storage random-uuid'`,
    );
  }
}

/** Kafka's rules for how a controller's quorum starts (static voters or dynamic). */
function checkQuorumOptions(config: BrokerConfig, options: FormatOptions): void {
  const noInitialControllers = options.initialControllers === false;
  if (options.standalone && noInitialControllers) {
    throw new StorageToolError(
      '--standalone and --no-initial-controllers cannot be used together.',
    );
  }
  const isController = config.processRoles.includes('controller');
  const staticQuorum = config.controllerQuorumVoters.length > 0;
  if (options.standalone) {
    if (!isController) throw new StorageToolError('You cannot use --standalone on a broker node.');
    if (staticQuorum) {
      throw new StorageToolError(
        'You cannot use --standalone when controller.quorum.voters is set (a static quorum). For a dynamic quorum, remove controller.quorum.voters and set controller.quorum.bootstrap.servers instead.',
      );
    }
  }
  if (isController && !staticQuorum && !options.standalone && !noInitialControllers) {
    throw new StorageToolError(
      'Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone or --no-initial-controllers.',
    );
  }
}

async function hasMetaProperties(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, META_PROPERTIES_FILE));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// info

async function infoCommand(configPath: string, output: ToolOutput): Promise<number> {
  const config = await loadConfig(configPath, output);
  const directories = nodeDirectories(config);
  const found: string[] = [];
  const problems: string[] = [];
  let firstMeta: MetaProperties | undefined;

  for (const dir of directories) {
    const kind = await fileKind(dir);
    if (kind === 'missing') {
      problems.push(`${dir} does not exist`);
      continue;
    }
    if (kind === 'file') {
      problems.push(`${dir} is not a directory`);
      continue;
    }
    found.push(dir);
    let meta: MetaProperties | null;
    try {
      meta = await readMetaProperties(dir);
    } catch (err) {
      problems.push(`Error loading ${join(dir, META_PROPERTIES_FILE)}: ${(err as Error).message}`);
      continue;
    }
    if (meta === null) {
      problems.push(`${dir} is not formatted.`);
      continue;
    }
    if (firstMeta === undefined) firstMeta = meta;
    else if (meta.clusterId !== firstMeta.clusterId) {
      problems.push('Mismatched cluster IDs between storage directories.');
    } else if (meta.nodeId !== firstMeta.nodeId) {
      problems.push('Mismatched node IDs between storage directories.');
    }
    if (meta.nodeId !== config.nodeId) {
      problems.push(
        `${dir} belongs to node ${meta.nodeId}, but the configuration has node.id ${config.nodeId}.`,
      );
    }
  }

  if (found.length > 0) {
    output.out(found.length === 1 ? 'Found log directory:' : 'Found log directories:');
    for (const dir of found) output.out(`  ${dir}`);
    output.out('');
  }
  if (firstMeta !== undefined) {
    output.out(`Found metadata: ${describeMeta(firstMeta)}`);
    output.out('');
  }
  if (problems.length === 0) return 0;
  output.out(problems.length === 1 ? 'Found problem:' : 'Found problems:');
  for (const problem of problems) output.out(`  ${problem}`);
  output.out('');
  return 1;
}

async function fileKind(path: string): Promise<'missing' | 'file' | 'directory'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

/** meta.properties as Java prints a sorted map: `{cluster.id=..., node.id=1, version=1}`. */
function describeMeta(meta: MetaProperties): string {
  const entries: [string, string][] = [
    ['cluster.id', meta.clusterId],
    ['node.id', String(meta.nodeId)],
    ['version', String(meta.version)],
  ];
  if (meta.directoryId !== undefined) entries.push(['directory.id', meta.directoryId]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}
