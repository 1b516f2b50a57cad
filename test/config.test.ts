import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CONFIG_VARIABLES, ConfigError, loadConfig, ROOT, readEnvFile } from '../config/index.ts';

const run = promisify(execFile);

describe('configuration', () => {
  it('applies defaults when the environment is empty', () => {
    const c = loadConfig({});
    expect(c.PORT).to.equal(3000);
    expect(c.BASE_DOMAIN).to.equal('localhost');
    expect(c.DATABASE_URL).to.equal(undefined);
    expect(c.TRUST_PROXY).to.equal(false);
  });

  it('stops with a message naming each bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', BASE_DOMAIN: 'bad domain!' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/PORT/)
      .and.matches(/DATABASE_URL/)
      .and.matches(/BASE_DOMAIN/);
  });

  it('reads TRUST_PROXY as a boolean, a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).to.equal(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).TRUST_PROXY).to.equal('loopback');
  });

  it('lists every variable, with its default, in .env.example and in the README table', () => {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    for (const name of CONFIG_VARIABLES) {
      const line = new RegExp(`^# ${name}=(.*)$`, 'm').exec(example);
      expect(line, `${name} in .env.example`).to.not.equal(null);
      const fallback = defaults[name];
      if (fallback !== undefined && name !== 'CLOCK_IN_WEB' && name !== 'WORKER_IN_WEB')
        expect(line?.[1].replace(/^"(.*)"$/, '$1'), `${name}'s default in .env.example`).to.equal(
          String(fallback),
        );
      expect(readme, `${name} in the README`).to.match(new RegExp(`^\\| \`${name}\`\\s+\\|`, 'm'));
    }
  });
});

describe('the .env file', () => {
  let dir: string;
  const names = ['STEWARD_ENVFILE_A', 'STEWARD_ENVFILE_B', 'STEWARD_ENVFILE_C'];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-env-'));
  });
  afterEach(() => {
    for (const n of names) delete process.env[n];
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds what the environment lacks and leaves what the environment has, even an empty value', () => {
    const file = path.join(dir, '.env');
    writeFileSync(
      file,
      '# a comment\nSTEWARD_ENVFILE_A=from-file\nSTEWARD_ENVFILE_B=from-file\nSTEWARD_ENVFILE_C="two words"\n',
    );
    process.env.STEWARD_ENVFILE_A = 'from-env';
    process.env.STEWARD_ENVFILE_B = '';
    const read = readEnvFile(file);
    expect(process.env.STEWARD_ENVFILE_A).to.equal('from-env');
    expect(process.env.STEWARD_ENVFILE_B).to.equal('');
    expect(process.env.STEWARD_ENVFILE_C).to.equal('two words');
    expect(read.names).to.deep.equal(['STEWARD_ENVFILE_C']);
  });

  it('is no error when there is no file', () => {
    expect(readEnvFile(path.join(dir, '.env')).names).to.deep.equal([]);
  });

  it('names the variable and the file when a value from the file is bad', () => {
    expect(() => loadConfig({ UPLOAD_MAX_MB: 'lots' }, { file: '.env', names: ['UPLOAD_MAX_MB'] }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/UPLOAD_MAX_MB: .* \(set in \.env\)/);
  });

  /** Loads the configuration in a fresh process started in `dir`, as `npm start` would in the project. */
  async function startIn(env: Record<string, string>) {
    // Node resolves `--import tsx` from the working directory; the child's is outside the project.
    const tsx = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;
    const configUrl = pathToFileURL(path.join(ROOT, 'config', 'index.ts')).href;
    const script = `const { config } = await import(${JSON.stringify(configUrl)});
      process.stdout.write(JSON.stringify({ upload: config.UPLOAD_MAX_MB, port: config.PORT, cache: config.CACHE_ENABLED }));`;
    return run(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    });
  }

  it('is read at start, with the environment winning over it', async () => {
    writeFileSync(path.join(dir, '.env'), 'UPLOAD_MAX_MB=25\nPORT=4000\nCACHE_ENABLED=false\n');
    const { stdout } = await startIn({ PORT: '5000' });
    expect(JSON.parse(stdout)).to.deep.equal({ upload: 25, port: 5000, cache: false });
  });

  it('stops the start with the variable named when the file holds a bad value', async () => {
    writeFileSync(path.join(dir, '.env'), 'UPLOAD_MAX_MB=lots\n');
    const failed = await startIn({}).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.match(/UPLOAD_MAX_MB: .*\(set in \.env\)/);
  });

  it('is not read under NODE_ENV=test, whose environment the tests set themselves', async () => {
    writeFileSync(path.join(dir, '.env'), 'UPLOAD_MAX_MB=25\n');
    const { stdout } = await startIn({ NODE_ENV: 'test' });
    expect(JSON.parse(stdout).upload).to.equal(10);
  });
});
