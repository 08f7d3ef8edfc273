/** `bin/kafka-topics`: Kafka's TopicCommand over the internal client. */
import { Command, Option } from 'commander';
import { ConfigResourceType, KafkaClient } from '../client/kafka-client.js';
import { collect, describeError, parseKeyValues, runProgram } from '../client/tool-support.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

interface TopicsOptions {
  bootstrapServer?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  alter?: boolean;
  topic?: string;
  partitions?: string;
  replicationFactor?: string;
  config: string[];
  ifNotExists?: boolean;
  ifExists?: boolean;
  excludeInternal?: boolean;
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function topicMatcher(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  // Kafka accepts a regular expression for --topic on list/describe/delete/alter.
  const re = new RegExp(`^(?:${pattern})$`);
  return (name) => name === pattern || re.test(name);
}

async function run(options: TopicsOptions): Promise<number> {
  const actions = ['create', 'list', 'describe', 'delete', 'alter'].filter(
    (a) => options[a as keyof TopicsOptions] === true,
  );
  if (actions.length !== 1) {
    process.stderr.write(
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete\n',
    );
    return 1;
  }
  if (!options.bootstrapServer) {
    process.stderr.write('Missing required argument "[bootstrap-server]"\n');
    return 1;
  }
  const client = new KafkaClient({
    bootstrapServers: options.bootstrapServer,
    clientId: 'kafka-topics',
  });
  try {
    switch (actions[0]) {
      case 'create':
        await create(client, options);
        break;
      case 'list':
        await list(client, options);
        break;
      case 'describe':
        await describe(client, options);
        break;
      case 'delete':
        await remove(client, options);
        break;
      case 'alter':
        await alter(client, options);
        break;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`Error while executing topic command : ${describeError(err)}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

function requireTopic(options: TopicsOptions): string {
  if (!options.topic) throw new Error('Missing required argument "[topic]"');
  return options.topic;
}

async function create(client: KafkaClient, options: TopicsOptions): Promise<void> {
  const topic = requireTopic(options);
  const configs = Object.fromEntries(parseKeyValues(options.config));
  try {
    await client.createTopics([
      {
        name: topic,
        numPartitions: options.partitions === undefined ? -1 : Number(options.partitions),
        replicationFactor:
          options.replicationFactor === undefined ? -1 : Number(options.replicationFactor),
        configs,
      },
    ]);
  } catch (err) {
    if (
      options.ifNotExists &&
      err instanceof KafkaError &&
      err.code === ErrorCode.TOPIC_ALREADY_EXISTS
    )
      return;
    throw err;
  }
  print(`Created topic ${topic}.`);
}

async function list(client: KafkaClient, options: TopicsOptions): Promise<void> {
  const md = await client.metadata(null);
  const matches = topicMatcher(options.topic);
  const names = md.topics
    .filter((t) => matches(t.name) && !(options.excludeInternal && t.isInternal))
    .map((t) => t.name)
    .sort();
  for (const name of names) print(name);
}

async function describe(client: KafkaClient, options: TopicsOptions): Promise<void> {
  const md = await client.metadata(null);
  const matches = topicMatcher(options.topic);
  const topics = md.topics
    .filter((t) => matches(t.name) && !(options.excludeInternal && t.isInternal))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (options.topic !== undefined && topics.length === 0 && !options.ifExists) {
    throw new Error(`Topic '${options.topic}' does not exist as expected`);
  }
  for (const topic of topics) {
    let configs = '';
    try {
      const entries = await client.describeConfigs(ConfigResourceType.TOPIC, topic.name);
      configs = entries
        .filter((e) => !e.isDefault)
        .map((e) => `${e.name}=${e.isSensitive ? 'null' : (e.value ?? 'null')}`)
        .join(',');
    } catch (err) {
      // Brokers without DescribeConfigs: describe without configs.
      if (!(err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_VERSION)) throw err;
    }
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
    let header = `Topic: ${topic.name}`;
    if (topic.topicId !== ZERO_UUID) header += `\tTopicId: ${topic.topicId}`;
    header += `\tPartitionCount: ${topic.partitions.length}`;
    header += `\tReplicationFactor: ${replicationFactor}`;
    header += `\tConfigs: ${configs}`;
    print(header);
    for (const p of topic.partitions) {
      print(
        `\tTopic: ${topic.name}\tPartition: ${p.partition}\tLeader: ${p.leader >= 0 ? p.leader : 'none'}` +
          `\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A`,
      );
    }
  }
}

async function remove(client: KafkaClient, options: TopicsOptions): Promise<void> {
  const pattern = requireTopic(options);
  const md = await client.metadata(null);
  const matches = topicMatcher(pattern);
  const names = md.topics.filter((t) => matches(t.name)).map((t) => t.name);
  if (names.length === 0) {
    if (options.ifExists) return;
    throw new Error(`Topic '${pattern}' does not exist as expected`);
  }
  await client.deleteTopics(names);
}

async function alter(client: KafkaClient, options: TopicsOptions): Promise<void> {
  const topic = requireTopic(options);
  if (options.partitions === undefined) {
    throw new Error('--alter requires --partitions (use kafka-configs to change topic configs)');
  }
  await client.createPartitions(topic, Number(options.partitions));
}

const program = new Command('kafka-topics')
  .description('Create, delete, describe, or change a topic.')
  .option('--bootstrap-server <server>', 'REQUIRED: The Kafka server to connect to.')
  .option('--create', 'Create a new topic.')
  .option('--list', 'List all available topics.')
  .option('--describe', 'List details for the given topics.')
  .option('--delete', 'Delete a topic')
  .option('--alter', 'Alter the number of partitions and replica assignment.')
  .option(
    '--topic <topic>',
    'The topic to create, alter, describe or delete (a regular expression except for --create).',
  )
  .option('--partitions <n>', 'The number of partitions for the topic being created or altered.')
  .option(
    '--replication-factor <n>',
    'The replication factor for each partition in the topic being created.',
  )
  .option(
    '--config <name=value>',
    'A topic configuration override for the topic being created.',
    collect,
    [],
  )
  .option(
    '--if-not-exists',
    'If set when creating topics, the action will only execute if the topic does not already exist.',
  )
  .option(
    '--if-exists',
    'If set when altering, deleting or describing topics, the action will only execute if the topic exists.',
  )
  .option('--exclude-internal', 'Exclude internal topics when running list or describe command.')
  .addOption(new Option('--command-config <file>', 'Client property file (ignored)').hideHelp())
  .action(async (options: TopicsOptions) => {
    process.exitCode = await run(options);
  });

process.exitCode = await runProgram(program, process.argv.slice(2));
