import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  LiveChannelScope,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv, getTemplateSrv } from '@grafana/runtime';
import { merge, Observable } from 'rxjs';

import { DEFAULT_QUERY, KwardenOptions, KwardenQuery, ResourceAnswer } from './types';

/**
 * The kwarden datasource: queries, health, alerting and annotations go
 * to the backend (DataSourceWithBackend); live queries subscribe to the
 * backend's streams through Grafana Live, a channel per agent.
 */
export class DataSource extends DataSourceWithBackend<KwardenQuery, KwardenOptions> {
  private agentNames: string[];

  constructor(instanceSettings: DataSourceInstanceSettings<KwardenOptions>) {
    super(instanceSettings);
    this.agentNames = (instanceSettings.jsonData.agents ?? []).map((a) => a.name || hostOf(a.url));
    // Events come back as annotations when the query's view asks.
    this.annotations = {};
  }

  getDefaultQuery(_: CoreApp): Partial<KwardenQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: KwardenQuery, scopedVars: ScopedVars): KwardenQuery {
    const t = getTemplateSrv();
    return {
      ...query,
      name: query.name ? t.replace(query.name, scopedVars, 'regex') : query.name,
      kind: query.kind ? t.replace(query.kind, scopedVars) : query.kind,
      agents: query.agents?.flatMap((a) => t.replace(a, scopedVars, 'csv').split(',')).filter((a) => a !== ''),
    };
  }

  filterQuery(query: KwardenQuery): boolean {
    return !!query.queryType && !query.hide;
  }

  query(request: DataQueryRequest<KwardenQuery>): Observable<DataQueryResponse> {
    const live = request.targets.filter((q) => q.live && !q.hide);
    if (live.length === 0) {
      return super.query(request);
    }
    const rest = { ...request, targets: request.targets.filter((q) => !q.live) };
    const streams = live.flatMap((q) =>
      (q.agents?.length ? q.agents : this.agentNames).map((agent) =>
        getGrafanaLiveSrv().getDataStream({
          addr: {
            scope: LiveChannelScope.DataSource,
            stream: this.uid,
            path: `${q.queryType === 'containers' ? 'containers' : 'system'}/${agent}`,
          },
          key: `${q.refId}-${agent}`,
        })
      )
    );
    return merge(...(rest.targets.length > 0 ? [super.query(rest)] : []), ...streams);
  }

  /** A resource of the backend for the editor's dropdowns. */
  async resource<T>(path: 'agents' | 'containers' | 'kinds' | 'policies', params?: Record<string, string>) {
    return this.getResource<ResourceAnswer<T>>(path, params);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
