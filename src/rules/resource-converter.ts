import type { ResourceInfo, ResourceLookup } from '../api/resources.js';
import type { ResourceMappingConfig } from './config.js';
import { parseTemplate, type Template } from './go-template/index.js';

/**
 * Maps Prometheus labels to Kubernetes resources and back for one rule (SPEC 3.2). Pure: the resource mapping
 * is passed in on each call, so resources that appear later (CRDs) resolve without recompiling the rule.
 */
export interface ResourceConverter {
  /** The resources that the given label names resolve to; labels that resolve to nothing are ignored. */
  resourcesForLabels(labels: Iterable<string>, mapping: ResourceLookup): ResourceInfo[];
  /** The label holding the name of objects of `resource`, or undefined when the rule has none. */
  labelForResource(resource: ResourceInfo, mapping: ResourceLookup): string | undefined;
}

/** A problem in a rule's `resources` section; `field` is its path inside `resources` (`template`, `overrides.pod`). */
export class ResourceConfigError extends Error {
  override readonly name = 'ResourceConfigError';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const NB_GROUP_PLACEHOLDER = '\u0000group\u0000';
const NB_RESOURCE_PLACEHOLDER = '\u0000resource\u0000';
const PLACEHOLDERS = new RegExp(`(${NB_GROUP_PLACEHOLDER}|${NB_RESOURCE_PLACEHOLDER})`);

/**
 * Compiles `overrides` and `template`.
 * @throws ResourceConfigError naming the field (the caller adds the rule's YAML path); a template that does not
 * parse or execute has its TemplateError (with the template's line:col) as the cause and message.
 */
export function createResourceConverter(config: ResourceMappingConfig | undefined): ResourceConverter {
  const overrides = Object.entries(config?.overrides ?? {}).map(([label, ref]) => ({
    label,
    resource: ref.resource,
    group: ref.group,
  }));
  for (const o of overrides) {
    if (o.resource.trim() === '')
      throw new ResourceConfigError(`overrides.${o.label}.resource`, 'must not be empty');
  }
  const template =
    config?.template === undefined || config.template === ''
      ? undefined
      : parseResourceTemplate(config.template);
  const extractor = template === undefined ? undefined : templateExtractor(template);

  const resolveOverride = (o: (typeof overrides)[number], mapping: ResourceLookup) =>
    mapping.lookup(o.resource, o.group ?? (o.resource.includes('.') ? undefined : ''));

  return {
    resourcesForLabels(labels, mapping) {
      const out: ResourceInfo[] = [];
      const seen = new Set<string>();
      const add = (r: ResourceInfo | undefined) => {
        if (r === undefined) return;
        const key = `${r.group}/${r.resource}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(r);
        }
      };
      for (const label of labels) {
        const override = overrides.find((o) => o.label === label);
        if (override !== undefined) {
          add(resolveOverride(override, mapping));
          continue;
        }
        if (extractor === undefined) continue;
        const gr = extractor(label);
        if (gr === undefined) continue;
        // NB: the template sees the group with "." and "-" replaced by "_", so only groups without them map back.
        add(mapping.lookup(gr.resource, gr.group));
      }
      return out;
    },
    labelForResource(resource, mapping) {
      for (const o of overrides) {
        const r = resolveOverride(o, mapping);
        if (r !== undefined && r.group === resource.group && r.resource === resource.resource) return o.label;
      }
      if (template === undefined) return undefined;
      const label = template.execute({
        Group: resource.group.replace(/[.-]/g, '_'),
        Resource: resource.singular,
      });
      return label === '' ? undefined : label;
    },
  };
}

function parseResourceTemplate(source: string): Template {
  let probe: string;
  let template: Template;
  try {
    template = parseTemplate(source, { name: 'resources.template', leftDelim: '<<', rightDelim: '>>' });
    probe = template.execute({ Group: 'g', Resource: 'r' });
  } catch (e) {
    throw new ResourceConfigError('template', e instanceof Error ? e.message : String(e), { cause: e });
  }
  if (probe === '') throw new ResourceConfigError('template', 'renders an empty label');
  return template;
}

/**
 * Going back from a label: the template rendered with placeholders becomes an anchored pattern (like upstream's
 * `(?P<group>.+?)` / `(?P<resource>.+?)` rendering), so `kube_<<.Resource>>` turns `kube_pod` into `pod`.
 */
function templateExtractor(
  template: Template,
): (label: string) => { group?: string; resource: string } | undefined {
  const rendered = template.execute({ Group: NB_GROUP_PLACEHOLDER, Resource: NB_RESOURCE_PLACEHOLDER });
  const used = new Set<string>();
  const pattern = rendered
    .split(PLACEHOLDERS)
    .map((part) => {
      const name =
        part === NB_GROUP_PLACEHOLDER ? 'group' : part === NB_RESOURCE_PLACEHOLDER ? 'resource' : undefined;
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      if (used.has(name)) return `\\k<${name}>`;
      used.add(name);
      return name === 'group' ? '(?<group>.*?)' : '(?<resource>.+?)';
    })
    .join('');
  // NB: as upstream, a template that does not name the resource cannot be read back from a label.
  if (!used.has('resource')) throw new ResourceConfigError('template', 'must include <<.Resource>>');
  const re = new RegExp(`^${pattern}$`);
  return (label) => {
    const m = re.exec(label);
    if (m?.groups?.resource === undefined) return undefined;
    return used.has('group')
      ? { group: m.groups.group ?? '', resource: m.groups.resource }
      : { resource: m.groups.resource };
  };
}
