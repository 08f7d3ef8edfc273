/**
 * Reads Java `.properties` files (Kafka's config format) with the properties-file package,
 * which follows java.util.Properties.load: `#`/`!` comments, `=`, `:` or whitespace
 * separators, backslash continuations and escapes, the last of duplicate keys wins.
 *
 * Values are taken literally, as Kafka's own loader does: `${...}` is not expanded (Kafka
 * only resolves such references through configured config providers, which this broker
 * does not support). Files are read as UTF-8; `\uXXXX` escapes work either way.
 */
import { readFile } from 'node:fs/promises';
import { Properties } from 'properties-file/parser';

/** Key → value, in file order. The record has no prototype, so any key is an own key. */
export function parsePropertiesText(text: string): Record<string, string> {
  const props: Record<string, string> = Object.create(null);
  for (const node of new Properties(text).getProperties()) props[node.key] = node.value;
  return props;
}

/** Reads and parses a `.properties` file. */
export async function readPropertiesFile(path: string): Promise<Record<string, string>> {
  return parsePropertiesText(await readFile(path, 'utf8'));
}
