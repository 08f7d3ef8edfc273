import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parsePropertiesText, readPropertiesFile } from '../../../src/config/properties-file.js';

describe('properties files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'properties-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('follows java.util.Properties: comments, separators, continuations, escapes', () => {
    const text = [
      '# a comment',
      '! another comment',
      '',
      'listeners = PLAINTEXT://127.0.0.1:9092 ,\\',
      '    CONTROLLER://127.0.0.1:9093',
      'log.dirs:/var/kafka/a\\,b',
      'num.partitions 3',
      'path=C\\:\\\\data',
      'unicode=\\u00e9t\\u00e9',
      'empty=',
    ].join('\n');
    expect({ ...parsePropertiesText(text) }).toEqual({
      listeners: 'PLAINTEXT://127.0.0.1:9092 ,CONTROLLER://127.0.0.1:9093',
      'log.dirs': '/var/kafka/a,b',
      'num.partitions': '3',
      path: 'C:\\data',
      unicode: 'été',
      empty: '',
    });
  });

  test('takes values literally and lets the last duplicate win', () => {
    const props = parsePropertiesText('a=${HOME}/x\na=${env:B}\nb=1');
    expect(props.a).toBe('${env:B}');
    expect(Object.keys(props)).toEqual(['a', 'b']);
  });

  test('any key is an own key, including names of Object.prototype members', () => {
    const props = parsePropertiesText('__proto__=x\nconstructor=y\ntoString=z');
    expect(Object.keys(props).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(props.constructor).toBe('y');
  });

  test('reads a file as UTF-8', async () => {
    const path = join(dir, 'server.properties');
    await writeFile(path, 'log.dirs=/données\r\nnode.id=1\r\n', 'utf8');
    expect({ ...(await readPropertiesFile(path)) }).toEqual({
      'log.dirs': '/données',
      'node.id': '1',
    });
  });

  test('a missing file is an ENOENT error', async () => {
    await expect(readPropertiesFile(join(dir, 'missing.properties'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
