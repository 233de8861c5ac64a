/** The rules file as written by users (SPEC 3): plain data, validated by load-config.ts. */

export interface SeriesFilter {
  is?: string;
  isNot?: string;
}

export interface GroupResourceRef {
  group?: string;
  resource: string;
}

export interface ResourceMappingConfig {
  overrides?: Record<string, GroupResourceRef>;
  template?: string;
  /** Only meaningful for externalRules (SPEC 3). */
  namespaced?: boolean;
}

export interface NameMappingConfig {
  matches?: string;
  as?: string;
}

export interface DiscoveryRuleConfig {
  seriesQuery: string;
  seriesFilters?: SeriesFilter[];
  resources?: ResourceMappingConfig;
  name?: NameMappingConfig;
  metricsQuery: string;
}

export interface ResourceRuleConfig {
  containerQuery: string;
  nodeQuery: string;
  resources?: ResourceMappingConfig;
  containerLabel?: string;
}

export interface ResourceRulesConfig {
  cpu: ResourceRuleConfig;
  memory: ResourceRuleConfig;
  window?: string;
}

export interface RulesConfig {
  rules: DiscoveryRuleConfig[];
  externalRules: DiscoveryRuleConfig[];
  resourceRules?: ResourceRulesConfig;
}
