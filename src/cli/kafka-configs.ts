/** `bin/kafka-configs`: Kafka's ConfigCommand (topics and brokers) over the internal client. */
import { Command } from 'commander';
import {
  AlterConfigOp,
  ConfigResourceType,
  KafkaClient,
  type ConfigEntry,
} from '../client/kafka-client.js';
import { describeError, runProgram } from '../client/tool-support.js';

interface ConfigsOptions {
  bootstrapServer?: string;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
  topic?: string;
  broker?: string;
  brokerDefaults?: boolean;
  describe?: boolean;
  alter?: boolean;
  addConfig?: string;
  deleteConfig?: string;
  all?: boolean;
}

/** Admin-client names of DescribeConfigs config sources. */
const SOURCE_NAMES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

/** Splits `k=v,k2=[a,b]` on commas outside square brackets (Kafka's --add-config syntax). */
export function parseAddConfig(text: string): [string, string][] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') parts.push(current);
  return parts.map((part) => {
    const idx = part.indexOf('=');
    if (idx <= 0)
      throw new Error(
        `Invalid entity config: all configs to be added must be in the format "key=val". Got: ${part}`,
      );
    let value = part.slice(idx + 1).trim();
    if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
    return [part.slice(0, idx).trim(), value];
  });
}

function entryLine(e: ConfigEntry): string {
  const value = e.isSensitive ? 'null' : (e.value ?? 'null');
  const synonyms = e.synonyms
    .map(
      (s) =>
        `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${e.isSensitive ? 'null' : (s.value ?? 'null')}`,
    )
    .join(', ');
  return `  ${e.name}=${value} sensitive=${e.isSensitive} synonyms={${synonyms}}`;
}

async function run(options: ConfigsOptions): Promise<number> {
  let entityType = options.entityType;
  let entityName = options.entityName;
  if (options.topic !== undefined) [entityType, entityName] = ['topics', options.topic];
  if (options.broker !== undefined) [entityType, entityName] = ['brokers', options.broker];
  const isDefault = options.entityDefault === true || options.brokerDefaults === true;
  if (options.brokerDefaults) entityType = 'brokers';
  if (!options.bootstrapServer) {
    process.stderr.write('Missing required argument "[bootstrap-server]"\n');
    return 1;
  }
  if (entityType !== 'topics' && entityType !== 'brokers') {
    process.stderr.write('--entity-type must be one of: topics, brokers\n');
    return 1;
  }
  if ((options.describe ? 1 : 0) + (options.alter ? 1 : 0) !== 1) {
    process.stderr.write('Command must include exactly one action: --describe, --alter\n');
    return 1;
  }
  const resourceType =
    entityType === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER;
  if (entityType === 'topics' && isDefault) {
    process.stderr.write('--entity-default is not supported for topics\n');
    return 1;
  }
  if (options.alter && entityName === undefined && !isDefault) {
    process.stderr.write('an entity name must be specified with --alter of topics, brokers\n');
    return 1;
  }
  const client = new KafkaClient({
    bootstrapServers: options.bootstrapServer,
    clientId: 'kafka-configs',
  });
  try {
    if (options.describe) {
      await describe(client, entityType, resourceType, entityName, isDefault, options.all === true);
    } else {
      const resourceName = isDefault ? '' : entityName!;
      const configs: { name: string; op: number; value?: string | null }[] = [];
      for (const [name, value] of options.addConfig ? parseAddConfig(options.addConfig) : []) {
        configs.push({ name, op: AlterConfigOp.SET, value });
      }
      for (const name of (options.deleteConfig ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        configs.push({ name, op: AlterConfigOp.DELETE, value: null });
      }
      if (entityType === 'topics') {
        await client.topic(resourceName); // Kafka checks the topic exists first
      }
      await client.incrementalAlterConfigs([{ resourceType, resourceName, configs }]);
      if (isDefault)
        process.stdout.write('Completed updating default config for brokers in the cluster.\n');
      else
        process.stdout.write(
          `Completed updating config for ${entityType === 'topics' ? 'topic' : 'broker'} ${resourceName}.\n`,
        );
    }
    return 0;
  } catch (err) {
    process.stderr.write(
      `Error while executing config command with args '${process.argv.slice(2).join(' ')}'\n${describeError(err)}\n`,
    );
    return 1;
  } finally {
    await client.close();
  }
}

async function describe(
  client: KafkaClient,
  entityType: string,
  resourceType: number,
  entityName: string | undefined,
  isDefault: boolean,
  all: boolean,
): Promise<void> {
  let names: string[];
  if (isDefault) names = [''];
  else if (entityName !== undefined) names = [entityName];
  else if (entityType === 'topics')
    names = (await client.metadata(null)).topics.map((t) => t.name).sort();
  else names = (await client.metadata([])).brokers.map((b) => String(b.nodeId));
  for (const name of names) {
    const entries = await client.describeConfigs(resourceType, name, null, true);
    let shown: ConfigEntry[];
    if (all) shown = entries;
    else if (entityType === 'topics') shown = entries.filter((e) => e.source === 1);
    else if (isDefault) shown = entries.filter((e) => e.source === 3);
    else shown = entries.filter((e) => e.source === 2);
    shown.sort((a, b) => a.name.localeCompare(b.name));
    const kind = all ? 'All' : 'Dynamic';
    if (isDefault) process.stdout.write('Default configs for brokers in the cluster are:\n');
    else
      process.stdout.write(
        `${kind} configs for ${entityType === 'topics' ? 'topic' : 'broker'} ${name} are:\n`,
      );
    for (const e of shown) process.stdout.write(`${entryLine(e)}\n`);
  }
}

const program = new Command('kafka-configs')
  .description('Add/Remove entity config for a topic or broker')
  .option('--bootstrap-server <server>', 'The Kafka servers to connect to.')
  .option('--entity-type <type>', 'Type of entity (topics/brokers)')
  .option('--entity-name <name>', 'Name of entity (topic name/broker id)')
  .option(
    '--entity-default',
    'Default entity name for brokers (applies to corresponding entity type)',
  )
  .option('--topic <topic>', "The topic's name.")
  .option('--broker <id>', "The broker's ID.")
  .option('--broker-defaults', 'The config defaults for all brokers.')
  .option('--describe', 'List configs for the given entity.')
  .option('--alter', 'Alter the configuration for the entity.')
  .option('--add-config <configs>', 'Key Value pairs of configs to add: k1=v1,k2=[v1,v2,v2],k3=v3')
  .option('--delete-config <names>', 'config keys to remove: k1,k2')
  .option('--all', 'List all configs for the given entity, including static configs if available.')
  .action(async (options: ConfigsOptions) => {
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));
