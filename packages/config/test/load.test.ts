import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, parseConfig, parseConfigText, resolveConfigFile, resolveConfigPaths } from '../src';
import { configError, issuesOf, messageAt, tempDir } from './support';

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(() => cleanup());

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('reads a JSON file', () => {
    const file = write(
      'testbed.json',
      JSON.stringify({ realm: 'example.org', hss: { listen: { port: 0 }, subscribers: [] } }, null, '\t'),
    );
    const config = loadConfig(file, { cwd: dir });
    expect(config.realm).toBe('example.org');
    expect(config.hss.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.hss.subscribers).toEqual([]);
    expect(config.xcap.listen.port).toBe(8081);
  });

  it('rejects duplicate keys in a JSON file', () => {
    const file = write('dup.json', '{ "realm": "a.net", "realm": "b.net" }');
    const issues = issuesOf(() => loadConfig(file));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^duplicate key "realm"/);
  });

  it('resolves relative paths against the given cwd and keeps absolute ones', () => {
    const absoluteKey = resolve(dir, 'keys/ap.key');
    const file = write(
      'testbed.yaml',
      [
        'hss: { database: data/hss.db }',
        `ap: { tls: { cert: certs/ap.pem, key: ${JSON.stringify(absoluteKey)} } }`,
      ].join('\n'),
    );
    const cwd = join(dir, 'work');
    const config = loadConfig(file, { cwd });
    expect(config.hss.database).toBe(join(cwd, 'data/hss.db'));
    expect(config.xcap.database).toBe(join(cwd, '.testbed/xcap.db'));
    expect(config.ap.tls.cert).toBe(join(cwd, 'certs/ap.pem'));
    expect(config.ap.tls.key).toBe(absoluteKey);
  });

  it('resolves the file path itself against the cwd', () => {
    mkdirSync(join(dir, 'conf'));
    write('conf/a.yaml', 'realm: a.example\n');
    expect(loadConfig('conf/a.yaml', { cwd: dir }).realm).toBe('a.example');
  });

  it('keeps :memory: databases and null certificates as they are', () => {
    const file = write('mem.yaml', 'hss: { database: ":memory:" }\nxcap: { database: ":memory:" }\n');
    const config = loadConfig(file, { cwd: dir });
    expect(config.hss.database).toBe(':memory:');
    expect(config.xcap.database).toBe(':memory:');
    expect(config.ap.tls.cert).toBeNull();
    expect(config.ap.tls.key).toBeNull();
  });

  it('without a path reads config/testbed.yaml under the cwd when it exists', () => {
    mkdirSync(join(dir, 'config'));
    write('config/testbed.yaml', 'realm: found.example\n');
    expect(resolveConfigFile(undefined, { cwd: dir })).toBe(join(dir, 'config/testbed.yaml'));
    expect(loadConfig(undefined, { cwd: dir }).realm).toBe('found.example');
  });

  it('without a path and without config/testbed.yaml gives the defaults, with paths resolved', () => {
    expect(resolveConfigFile(undefined, { cwd: dir })).toBeNull();
    const config = loadConfig(undefined, { cwd: dir });
    expect(config).toEqual(resolveConfigPaths(parseConfig({}), dir));
    expect(config.hss.database).toBe(join(dir, '.testbed/hss.db'));
  });

  it('an empty file or one with only comments gives the defaults', () => {
    expect(loadConfig(write('empty.yaml', ''), { cwd: dir })).toEqual(parseConfig({}, { cwd: dir }));
    expect(loadConfig(write('comments.yaml', '# nothing here\n'), { cwd: dir })).toEqual(
      parseConfig({}, { cwd: dir }),
    );
  });

  it('a missing file is an error naming the file', () => {
    const file = join(dir, 'nope.yaml');
    const error = configError(() => loadConfig(file));
    expect(error.source).toBe(file);
    expect(error.issues).toEqual([
      { path: '', message: 'cannot read the configuration file: the file does not exist; check the path' },
    ]);
    expect(error.message).toContain(file);
  });

  it('names the file in schema errors', () => {
    const file = write('bad.yaml', 'hss:\n  listen:\n    port: abc\n');
    const error = configError(() => loadConfig(file));
    expect(error.source).toBe(file);
    expect(error.message.split('\n')[0]).toBe(`Invalid configuration in ${file} (1 problem):`);
  });
});

describe('parseConfigText', () => {
  it('reports a YAML syntax error with its line and column', () => {
    const text = ['realm: home1.net', 'hss:', '  listen: { host: 127.0.0.1, port: 3868', 'xcap: {}', ''].join(
      '\n',
    );
    const issues = issuesOf(() => parseConfigText(text, 'broken.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('');
    expect(issues[0]?.message).toMatch(/^YAML syntax error: /);
    expect(issues[0]?.line).toBe(4);
    expect(issues[0]?.column).toBe(1);
  });

  it('reports a bad indentation on its line', () => {
    const text = 'hss:\n  listen:\n    port: 1\n   host: x\n';
    const issues = issuesOf(() => parseConfigText(text, 'indent.yaml'));
    expect(issues[0]?.line).toBe(4);
  });

  it('rejects a duplicate key, naming it and its line', () => {
    const text = 'hss:\n  originHost: a.net\n  database: x.db\n  originHost: b.net\n';
    expect(issuesOf(() => parseConfigText(text, 'dup.yaml'))).toEqual([
      {
        path: '',
        message:
          'duplicate key "originHost": each key may appear only once in a mapping, so remove or merge one of them',
        line: 4,
        column: 3,
      },
    ]);
  });

  it('gives the line of each schema problem', () => {
    const text = ['hss:', '  listen:', '    port: abc', 'ap:', '  tlss: {}', ''].join('\n');
    const issues = issuesOf(() => parseConfigText(text, 'lines.yaml'));
    expect(issues).toEqual([
      {
        path: 'hss.listen.port',
        message: 'expected an integer from 0 to 65535, got "abc"',
        line: 3,
        column: 5,
      },
      { path: 'ap.tlss', message: 'unknown key (did you mean "tls"?)', line: 5, column: 3 },
    ]);
  });

  it('locates problems inside lists', () => {
    const text = [
      'hss:',
      '  subscribers:',
      '    - impi: a@home1.net',
      '      impus: [sip:a@home1.net, nope]',
      '      k: "465b5ce8b199b49faa5f0a2ee238a6bc"',
      '      opc: "cd63cb71954a9f4e48a5994e37a02baf"',
      '',
    ].join('\n');
    expect(issuesOf(() => parseConfigText(text, 'list.yaml'))).toEqual([
      {
        path: 'hss.subscribers[0].impus[1]',
        message: 'expected a public identity: a sip:, sips: or tel: URI, got "nope"',
        line: 4,
        column: 32,
      },
    ]);
  });

  it('an unquoted hex value that YAML reads as a number gets a hint to quote it', () => {
    const text =
      'hss:\n  subscribers:\n    - { impi: a@b.net, impus: [sip:a@b.net], k: 12345678901234567890123456789012, opc: "cd63cb71954a9f4e48a5994e37a02baf" }\n';
    const issues = issuesOf(() => parseConfigText(text, 'num.yaml'));
    expect(messageAt(issues, 'hss.subscribers[0].k')).toBe(
      'expected K (the subscriber key) as 32 hex digits in a string, got a number: YAML reads unquoted digits as a number, so put the value in quotes',
    );
  });

  it('leaves paths as written without a cwd and resolves them with one', () => {
    const text = 'xcap: { database: db/xcap.db }\n';
    expect(parseConfigText(text, 'p.yaml').xcap.database).toBe('db/xcap.db');
    expect(parseConfigText(text, 'p.yaml', { cwd: dir }).xcap.database).toBe(join(dir, 'db/xcap.db'));
  });

  it('rejects an unresolved tag', () => {
    const issues = issuesOf(() => parseConfigText('realm: !secret home1.net\n', 'tag.yaml'));
    expect(issues[0]?.message).toMatch(/^YAML syntax error: Unresolved tag: !secret/);
  });
});

describe('resolveConfigPaths', () => {
  it('returns a copy and leaves its input alone', () => {
    const config = parseConfig({ ap: { tls: { cert: 'a.pem', key: 'a.key' } } });
    const resolved = resolveConfigPaths(config, dir);
    expect(resolved.ap.tls.cert).toBe(join(dir, 'a.pem'));
    expect(resolved.ap.tls.key).toBe(join(dir, 'a.key'));
    expect(config.ap.tls.cert).toBe('a.pem');
    expect(config.hss.database).toBe('.testbed/hss.db');
  });

  it('is what parseConfig does when given a cwd', () => {
    const input = { hss: { database: 'h.db' } };
    expect(parseConfig(input, { cwd: dir })).toEqual(resolveConfigPaths(parseConfig(input), dir));
  });
});
