/** Per-partition results grouped by topic, topics in order of first appearance. */
export function groupByTopic<T extends { topic: string }>(items: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    let group = groups.get(item.topic);
    if (group === undefined) groups.set(item.topic, (group = []));
    group.push(item);
  }
  return [...groups.entries()];
}
