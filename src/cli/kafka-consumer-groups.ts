/** `bin/kafka-consumer-groups`: Kafka's ConsumerGroupCommand over the internal client. */
import { exitQuietlyOnClosedPipe } from '../client/tool-support.js';
import { runConsumerGroups } from './consumer-groups/commands.js';

exitQuietlyOnClosedPipe();
process.exitCode = await runConsumerGroups(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
