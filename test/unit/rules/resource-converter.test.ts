import { describe, it, expect } from '@jest/globals';

import type { ResourceInfo } from '../../../src/api/resources.js';
import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import type { GroupResourceRef, ResourceMappingConfig } from '../../../src/rules/config.js';
import { createResourceConverter, ResourceConfigError } from '../../../src/rules/resource-converter.js';

const mapping = createStandaloneResourceMapper();
const resource = (name: string): ResourceInfo => {
  const r = mapping.lookup(name);
  if (r === undefined) throw new Error(`no resource ${name} in the standalone mapping`);
  return r;
};
const groupResource = (r: ResourceInfo): string => (r.group === '' ? r.resource : `${r.resource}.${r.group}`);
const resourcesFor = (config: ResourceMappingConfig, labels: string[]): string[] =>
  createResourceConverter(config).resourcesForLabels(labels, mapping).map(groupResource);

const configError = (config: ResourceMappingConfig): ResourceConfigError => {
  try {
    createResourceConverter(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ResourceConfigError);
    return error as ResourceConfigError;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
};

describe('resources.overrides: a label names a group-resource in any form (SPEC 3.2)', () => {
  it.each<[form: string, ref: GroupResourceRef, expected: string | undefined]>([
    ['singular', { resource: 'pod' }, 'pods'],
    ['plural', { resource: 'pods' }, 'pods'],
    ['kind', { resource: 'Pod' }, 'pods'],
    ['core with an explicit empty group', { resource: 'pod', group: '' }, 'pods'],
    ['cluster-scoped singular', { resource: 'namespace' }, 'namespaces'],
    ['singular + group apps', { resource: 'deployment', group: 'apps' }, 'deployments.apps'],
    ['plural + group apps', { resource: 'deployments', group: 'apps' }, 'deployments.apps'],
    ['plural.group', { resource: 'deployments.apps' }, 'deployments.apps'],
    ['singular.group', { resource: 'deployment.apps' }, 'deployments.apps'],
    ['dotted group', { resource: 'ingresses.networking.k8s.io' }, 'ingresses.networking.k8s.io'],
    ['a non-core resource without its group resolves to nothing', { resource: 'deployment' }, undefined],
    ['a resource in the wrong group resolves to nothing', { resource: 'pod', group: 'apps' }, undefined],
    ['an unknown resource resolves to nothing', { resource: 'widgets' }, undefined],
  ])('%s', (_form, ref, expected) => {
    const config = { overrides: { the_label: ref } };
    expect(resourcesFor(config, ['the_label'])).toEqual(expected === undefined ? [] : [expected]);
  });

  it.each([
    ['pod', 'kubernetes_pod_name'],
    ['namespace', 'kubernetes_namespace'],
    ['deployment.apps', 'deploy'],
  ])('labelForResource(%s) is the override label %s', (name, label) => {
    const config: ResourceMappingConfig = {
      overrides: {
        kubernetes_namespace: { resource: 'namespace' },
        kubernetes_pod_name: { resource: 'pods' },
        deploy: { resource: 'deployment', group: 'apps' },
      },
    };
    expect(createResourceConverter(config).labelForResource(resource(name), mapping)).toBe(label);
  });

  it('labelForResource is undefined for a resource with no override and no template', () => {
    const converter = createResourceConverter({ overrides: { pod: { resource: 'pod' } } });
    expect(converter.labelForResource(resource('service'), mapping)).toBeUndefined();
  });

  it('ignores labels that are not overrides, and lists each resource once', () => {
    const config = { overrides: { pod: { resource: 'pod' }, kubernetes_pod_name: { resource: 'pods' } } };
    expect(resourcesFor(config, ['instance', 'pod', 'job', 'kubernetes_pod_name'])).toEqual(['pods']);
  });

  it('a rule with no resources section resolves nothing', () => {
    const converter = createResourceConverter(undefined);
    expect(converter.resourcesForLabels(['pod', 'namespace'], mapping)).toEqual([]);
    expect(converter.labelForResource(resource('pod'), mapping)).toBeUndefined();
  });
});

describe('resources.template: a label for every resource, and back (SPEC 3.2)', () => {
  it.each<[template: string, name: string, label: string]>([
    ['kube_<<.Resource>>', 'namespace', 'kube_namespace'],
    ['kube_<<.Resource>>', 'pod', 'kube_pod'],
    ['kube_<<.Resource>>', 'deployment.apps', 'kube_deployment'],
    ['<<.Group>>_<<.Resource>>', 'pod', '_pod'],
    ['<<.Group>>_<<.Resource>>', 'deployment.apps', 'apps_deployment'],
    ['<<.Group>>_<<.Resource>>', 'ingress.networking.k8s.io', 'networking_k8s_io_ingress'],
    ['<<.Resource>>', 'persistentvolumeclaim', 'persistentvolumeclaim'],
  ])('%s renders %s as %s (singular resource, group with . and - as _)', (template, name, label) => {
    expect(createResourceConverter({ template }).labelForResource(resource(name), mapping)).toBe(label);
  });

  it.each<[template: string, label: string, expected: string[]]>([
    ['kube_<<.Resource>>', 'kube_namespace', ['namespaces']],
    ['kube_<<.Resource>>', 'kube_pod', ['pods']],
    ['kube_<<.Resource>>', 'kube_deployment', ['deployments.apps']],
    ['kube_<<.Resource>>', 'kube_widget', []],
    ['kube_<<.Resource>>', 'namespace', []],
    ['kube_<<.Resource>>', 'xkube_pod', []],
    ['kube_<<.Resource>>', 'kube_', []],
    ['<<.Group>>_<<.Resource>>', '_pod', ['pods']],
    ['<<.Group>>_<<.Resource>>', 'apps_deployment', ['deployments.apps']],
    ['<<.Group>>_<<.Resource>>', 'batch_job', ['jobs.batch']],
    ['<<.Group>>_<<.Resource>>', 'apps_pod', []],
    ['<<.Group>>_<<.Resource>>', 'pod', []],
    ['<<.Resource>>', 'namespace', ['namespaces']],
    ['<<.Resource>>', 'instance', []],
  ])('%s reads %s back as %j', (template, label, expected) => {
    expect(resourcesFor({ template }, [label])).toEqual(expected);
  });

  it('labels that resolve to no known resource are ignored among ones that do', () => {
    expect(
      resourcesFor({ template: 'kube_<<.Resource>>' }, [
        'job',
        'kube_widget',
        'kube_pod',
        'kube_namespace',
        'instance',
      ]),
    ).toEqual(['pods', 'namespaces']);
  });

  it('overrides and template together: each label resolves through either', () => {
    const config = { overrides: { ns: { resource: 'namespace' } }, template: 'kube_<<.Resource>>' };
    expect(resourcesFor(config, ['ns', 'kube_pod', 'instance'])).toEqual(['namespaces', 'pods']);
    const converter = createResourceConverter(config);
    expect(converter.labelForResource(resource('namespace'), mapping)).toBe('ns');
    expect(converter.labelForResource(resource('pod'), mapping)).toBe('kube_pod');
  });

  it('a label both in overrides and matching the template resolves through its override', () => {
    const config = { overrides: { kube_pod: { resource: 'service' } }, template: 'kube_<<.Resource>>' };
    expect(resourcesFor(config, ['kube_pod'])).toEqual(['services']);
    expect(createResourceConverter(config).labelForResource(resource('service'), mapping)).toBe('kube_pod');
  });

  it('an empty template counts as absent', () => {
    expect(resourcesFor({ template: '' }, ['pod'])).toEqual([]);
  });
});

describe('resources: invalid configuration names the field', () => {
  it.each<[what: string, config: ResourceMappingConfig, field: string, message: RegExp]>([
    [
      'a template that does not parse',
      { template: 'kube_<<.Resource' },
      'template',
      /template: resources\.template:1:\d+: /,
    ],
    ['a template with an unknown field', { template: 'kube_<<.Kind>>' }, 'template', /Kind/],
    [
      'a template rendering nothing',
      { template: '<<if false>><<.Resource>><<end>>' },
      'template',
      /renders an empty label/,
    ],
    [
      'a template without .Resource',
      { template: 'kube_<<.Group>>' },
      'template',
      /must include <<\.Resource>>/,
    ],
    [
      'an override with an empty resource',
      { overrides: { pod: { resource: ' ' } } },
      'overrides.pod.resource',
      /must not be empty/,
    ],
  ])('%s', (_what, config, field, message) => {
    const error = configError(config);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
