import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

// The query model, mirrored from the backend's pkg/models/query.go: the
// Go test TestQueryModelMatchesTypes fails when the two drift, so edit
// both together.

/** What a panel asks of the agents; the backend routes on it. */
export type QueryType = 'system' | 'containers' | 'top' | 'processes' | 'events' | 'crosscheck' | 'policy';

/** Every query type, in the editor's order. */
export const QUERY_TYPES: QueryType[] = ['system', 'containers', 'top', 'processes', 'events', 'crosscheck', 'policy'];

/** The shapes each query type answers in; the first is its default. */
export const VIEWS: Record<QueryType, string[]> = {
  system: ['series'],
  containers: ['series', 'removed', 'table'],
  top: ['series', 'table'],
  processes: ['count', 'top'],
  events: ['table', 'annotations'],
  crosscheck: ['agreement', 'discrepancies', 'summary', 'hidden'],
  policy: ['active', 'history'],
};

/** The figures a system series may pick. */
export const SYSTEM_FIELDS = [
  'mem_total_bytes',
  'mem_used_bytes',
  'mem_free_bytes',
  'mem_available_bytes',
  'cpu_percent',
  'processes',
  'containers',
  'discrepancies',
  'hidden',
];

/** The figures a containers series may pick. */
export const CONTAINER_FIELDS = [
  'cpu_percent',
  'rss_bytes',
  'ram_percent',
  'memory_usage_bytes',
  'memory_working_set_bytes',
  'read_bytes_per_second',
  'write_bytes_per_second',
  'processes',
  'threads',
];

/** What a ranking of containers can be by. */
export const TOP_FIGURES = [
  'cpu_percent',
  'ram_percent',
  'rss_bytes',
  'memory_usage_bytes',
  'memory_working_set_bytes',
];

/** One panel query (pkg/models.Query). */
export interface KwardenQuery extends DataQuery {
  queryType: QueryType;
  /** The answer's shape, one of VIEWS[queryType]; none is the first. */
  view?: string;
  /** The agents asked, by name; none: every agent. */
  agents?: string[];
  /** The figures of a system or containers series; none: the defaults. */
  fields?: string[];
  /** Keep the containers of this class. */
  class?: 'high' | 'low' | '';
  /** Keep the containers of this kwarden.kind. */
  kind?: string;
  /** Keep the containers whose name matches this regular expression. */
  name?: string;
  /** Add the removed containers the history holds. */
  includeRemoved?: boolean;
  /** The figure a top query ranks by. */
  by?: string;
  /** mean (the default) or peak. */
  rank?: 'mean' | 'peak';
  /** How many: series, processes, top's N, events. */
  limit?: number;
  /** Keep the events whose kind starts with this. */
  eventKind?: string;
  /** Follow the agent's live stream rather than query the history (system and containers). */
  live?: boolean;
}

export const DEFAULT_QUERY: Partial<KwardenQuery> = {
  queryType: 'system',
};

/** One agent of the datasource (pkg/models.Agent). */
export interface AgentSetting {
  name: string;
  url: string;
}

/** The datasource's settings, stored in the clear (pkg/models.Settings). */
export interface KwardenOptions extends DataSourceJsonData {
  agents?: AgentSetting[];
  timeoutSeconds?: number;
}

/** The datasource's secrets: sent to the backend, never back to the browser. */
export interface KwardenSecureJsonData {
  token?: string;
}

/** A resource answer (pkg/plugin.ResourceAnswer). */
export interface ResourceAnswer<T> {
  items: T[] | null;
  errors?: string[];
}
