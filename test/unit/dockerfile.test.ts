/**
 * The container image (issue 5 item 1), checked without a Docker engine: the Dockerfile lints clean with
 * dockerfile-utils and has the shape the Helm chart and a restricted pod security context rely on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { validate } from 'dockerfile-utils';
import {
  argDefaults,
  entryScriptLines,
  expandArgs,
  readDockerfile,
  type Instruction,
  type Stage,
} from '../support/dockerfile.js';

const { text, parsed } = readDockerfile();
const stages = parsed.stages;
const final = stages[stages.length - 1]!;
const globalArgs = argDefaults(parsed.preamble);
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const stageNamed = (name: string): Stage => {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`no stage named ${name}`);
  return stage;
};
/** `COPY [--from=x] src... dest` → its flags, sources and destination. */
const copyOf = (i: Instruction) => {
  const words = i.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return {
    from: flags.find((f) => f.startsWith('--from='))?.slice('--from='.length),
    sources: paths.slice(0, -1),
  };
};

describe('Dockerfile', () => {
  it('passes dockerfile-utils validation with its default settings', () => {
    expect(validate(text)).toEqual([]);
  });

  it('is multi-stage, every stage on the same Node 20 slim image pinned by a full version tag', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(expandArgs(stage.from, globalArgs)).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim$/);
    }
  });

  it('compiles in a build stage that installs all dependencies with npm ci and runs npm run build', () => {
    const runs = all(stageNamed('build'), 'RUN').map((i) => i.args);
    expect(runs).toContainEqual(expect.stringMatching(/^npm ci(?! .*--omit)/));
    expect(runs).toContain('npm run build');
  });

  it('takes node_modules from a stage that installed production dependencies only (npm ci --omit=dev)', () => {
    const copy = all(final, 'COPY')
      .map(copyOf)
      .find((c) => c.sources.includes('/app/node_modules'));
    expect(copy?.from).toBeDefined();
    const runs = all(stageNamed(copy!.from!), 'RUN').map((i) => i.args);
    expect(runs).toContainEqual(expect.stringMatching(/^npm ci --omit=dev\b/));
  });

  it('puts only dist/, production node_modules, config/ and package.json into the final image', () => {
    const copied = all(final, 'COPY')
      .map(copyOf)
      .flatMap((c) => c.sources.map((s) => (c.from === undefined ? s : `${c.from}:${s}`)))
      .sort();
    expect(copied).toEqual(['build:/app/dist', 'config', 'deps:/app/node_modules', 'package.json']);
    expect(all(final, 'ADD')).toEqual([]);
    expect(all(final, 'RUN').map((i) => i.args)).not.toContainEqual(expect.stringMatching(/\bnpm\b/));
  });

  it('runs as the non-root uid:gid 10001:10001', () => {
    expect(all(final, 'USER').map((i) => i.args)).toEqual(['10001:10001']);
  });

  it('has the entrypoint /adapter in exec form, exposes 6443 and has no HEALTHCHECK (Kubernetes probes /livez, /readyz)', () => {
    expect(all(final, 'ENTRYPOINT').map((i) => JSON.parse(i.args) as unknown)).toEqual([['/adapter']]);
    expect(all(final, 'CMD')).toEqual([]);
    expect(all(final, 'EXPOSE').map((i) => i.args)).toEqual(['6443']);
    expect(stages.flatMap((s) => all(s, 'HEALTHCHECK'))).toEqual([]);
  });

  it('writes /adapter as a shell script that execs node with every argument, so node is PID 1 and gets SIGTERM', () => {
    expect(entryScriptLines(parsed)).toEqual(['#!/bin/sh', 'exec node /app/dist/main.js "$@"']);
  });

  it('labels the image with org.opencontainers.image.* keys, the version matching package.json', () => {
    const stageArgs = new Map([...globalArgs, ...argDefaults(final.instructions)]);
    const labels = new Map(
      all(final, 'LABEL').flatMap((i) =>
        [...i.args.matchAll(/(\S+)="([^"]*)"/g)].map((m) => [m[1]!, expandArgs(m[2]!, stageArgs)] as const),
      ),
    );
    expect([...labels.keys()].every((k) => k.startsWith('org.opencontainers.image.'))).toBe(true);
    expect(labels.get('org.opencontainers.image.version')).toBe(packageJson.version);
    expect(labels.get('org.opencontainers.image.licenses')).toBe('Apache-2.0');
    expect(labels.get('org.opencontainers.image.title')).toBe('prometheus-metrics-adapter');
    expect(labels.get('org.opencontainers.image.base.name')).toBe(globalArgs.get('NODE_IMAGE'));
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('excludes everything, then re-includes exactly the build-context paths that the Dockerfile copies', () => {
    const fromContext = stages
      .flatMap((s) => all(s, 'COPY').map(copyOf))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    expect(lines[0]).toBe('*');
    expect(
      lines
        .slice(1)
        .map((l) => l.replace(/^!/, ''))
        .sort(),
    ).toEqual([...new Set(fromContext)].sort());
  });
});
