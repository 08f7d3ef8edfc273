/**
 * What the broker runs with when started without --config: one process that is both broker
 * and controller, on the loopback interface, with data under the working directory and the
 * internal topics sized for a single node. `config/server.properties` says the same in a file.
 */
import { join } from 'node:path';

export const SINGLE_NODE_BROKER_PORT = 9092;
export const SINGLE_NODE_CONTROLLER_PORT = 9093;

export function defaultSingleNodeProperties(workingDir: string): Record<string, string> {
  const host = '127.0.0.1';
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${SINGLE_NODE_CONTROLLER_PORT}`,
    listeners: `PLAINTEXT://${host}:${SINGLE_NODE_BROKER_PORT},CONTROLLER://${host}:${SINGLE_NODE_CONTROLLER_PORT}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(workingDir, 'data'),
    // A single node cannot hold more than one replica of anything.
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Nobody else is coming: rebalance new groups at once.
    'group.initial.rebalance.delay.ms': '0',
  };
}
