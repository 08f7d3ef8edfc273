/**
 * Entry point of `bin/broker`: starts a single-node broker (broker and controller in one
 * process) and runs it until SIGTERM or SIGINT, then shuts down cleanly and exits 0.
 *
 *   bin/broker                          127.0.0.1:9092, data under ./data, formatted on first start
 *   bin/broker --config server.properties [--override key=value ...]
 */
import { Command } from 'commander';
import { pino } from 'pino';
import {
  ConfigError,
  defaultSingleNodeProperties,
  parseBrokerConfig,
} from '../config/broker-config.js';
import { readPropertiesFile } from '../config/properties-file.js';
import { BrokerStartupError, startBroker } from '../server/broker.js';

interface CliOptions {
  config?: string;
  override: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('broker')
    .description('Run a single-node Kafka-compatible broker.')
    .option(
      '-c, --config <file>',
      'server.properties to run with (default: a single node on 127.0.0.1:9092, data in ./data)',
    )
    .option(
      '-o, --override <key=value>',
      'set a property, over the config file (repeatable)',
      collect,
      [],
    )
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : 1;
  }
  const options = program.opts<CliOptions>();

  let props: Record<string, string>;
  if (options.config !== undefined) {
    try {
      props = await readPropertiesFile(options.config);
    } catch (err) {
      return fail(`Unable to read the configuration file: ${(err as Error).message}`);
    }
  } else {
    props = defaultSingleNodeProperties(process.cwd());
  }
  for (const override of options.override) {
    const eq = override.indexOf('=');
    if (eq <= 0) return fail(`Invalid override '${override}': expected key=value`);
    props[override.slice(0, eq).trim()] = override.slice(eq + 1).trim();
  }

  let parsed;
  try {
    parsed = parseBrokerConfig(props, { workingDir: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
  const logger = pino({ base: { nodeId: parsed.config.nodeId } });
  for (const warning of parsed.warnings) logger.warn(warning);

  let broker;
  try {
    broker = await startBroker(parsed.config, {
      logger,
      // Kafka refuses unformatted storage; only the zero-config single node formats its own.
      formatIfUnformatted: options.config === undefined,
    });
  } catch (err) {
    if (err instanceof BrokerStartupError) return fail(err.message);
    logger.error({ err }, 'broker failed to start');
    return fail(`broker failed to start: ${(err as Error).message}`);
  }
  const addresses = broker.listeners.map((l) => `${l.host}:${l.port}`).join(', ');
  process.stdout.write(
    `broker started: listening on ${addresses} (cluster id ${broker.clusterId}, node id ${broker.nodeId})\n`,
  );

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutdown requested');
      broker.shutdown().then(
        () => {
          logger.info('broker stopped');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
