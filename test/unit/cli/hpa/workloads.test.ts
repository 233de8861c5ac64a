import { describe, expect, it } from '@jest/globals';
import { readDocuments } from '../../../../src/cli/hpa/documents.js';
import { findWorkloads } from '../../../../src/cli/hpa/workloads.js';

const find = (text: string) => findWorkloads(readDocuments(text, 'w.yaml'));

describe('hpa preview: scale targets from manifests (the pod selector the HPA sends)', () => {
  it.each<[string, string, string]>([
    ['matchLabels', 'selector: {matchLabels: {tier: web, app: shop}}', 'app=shop,tier=web'],
    [
      'matchExpressions, sorted by key with sorted values',
      'selector: {matchLabels: {app: shop}, matchExpressions: [{key: zone, operator: NotIn, values: [b, a]}, {key: canary, operator: DoesNotExist}, {key: env, operator: Exists}]}',
      'app=shop,!canary,env,zone notin (a,b)',
    ],
  ])('%s', (_name, selector, expected) => {
    const [workload] = find(
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 4\n  ${selector}\n`,
    );
    expect(workload).toMatchObject({ kind: 'Deployment', name: 'd', selector: expected, replicas: 4 });
  });

  it('reads a ReplicationController selector (a plain map) and skips other kinds', () => {
    const workloads = find(
      'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec: {selector: {app: old}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: old}}\n',
    );
    expect(workloads).toEqual([
      { kind: 'ReplicationController', name: 'rc', selector: 'app=old', where: 'w.yaml: document 1' },
    ]);
  });

  it.each<[string, string, string]>([
    ['an empty selector', 'selector: {}', 'w.yaml: document 1: Deployment d has an empty spec.selector'],
    [
      'a bad operator',
      'selector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}',
      'w.yaml: document 1: spec.selector: matchExpressions[0].operator: "Equals" is not In, NotIn, Exists or DoesNotExist',
    ],
    [
      'a wrongly typed selector',
      'selector: {matchLabels: [a]}',
      'w.yaml: document 1 (line 5): spec.selector.matchLabels: must be a mapping, not a list',
    ],
  ])('rejects %s', (_name, selector, message) => {
    expect(() =>
      find(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  ${selector}\n`),
    ).toThrow(message);
  });
});
