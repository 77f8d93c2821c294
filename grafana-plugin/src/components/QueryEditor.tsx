import React, { useEffect, useState } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineSwitch, Input, MultiCombobox, Stack } from '@grafana/ui';
import { QueryEditorProps } from '@grafana/data';
import { DataSource } from '../datasource';
import {
  CONTAINER_FIELDS,
  KwardenOptions,
  KwardenQuery,
  QUERY_TYPES,
  QueryType,
  SYSTEM_FIELDS,
  TOP_FIGURES,
  VIEWS,
} from '../types';

type Props = QueryEditorProps<DataSource, KwardenQuery, KwardenOptions>;

const opts = (values: string[]): Array<ComboboxOption<string>> => values.map((v) => ({ label: v, value: v }));

/** The editor's dropdowns, filled from the backend's resources. */
function useResources(ds: DataSource) {
  const [agents, setAgents] = useState<string[]>([]);
  const [kinds, setKinds] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    ds.resource<{ name: string }>('agents')
      .then((r) => live && setAgents((r.items ?? []).map((a) => a.name)))
      .catch(() => undefined);
    ds.resource<string>('kinds')
      .then((r) => live && setKinds(r.items ?? []))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ds]);
  return { agents, kinds };
}

/**
 * One query: its type and view, the agents asked, and what each type
 * takes (figures, container filters, ranking, event kind, limit).
 */
export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const { agents, kinds } = useResources(datasource);
  const type: QueryType = query.queryType ?? 'system';
  const views = VIEWS[type];
  const view = query.view && views.includes(query.view) ? query.view : views[0];

  const change = (q: Partial<KwardenQuery>, run = true) => {
    onChange({ ...query, ...q });
    if (run) {
      onRunQuery();
    }
  };

  const isSeries = (type === 'system' || type === 'containers') && view === 'series';
  const filtersContainers = type === 'containers' || type === 'top';

  return (
    <Stack direction="column" gap={0}>
      <Stack gap={0} wrap="wrap">
        <InlineField label="Query" labelWidth={10} htmlFor="kw-query-type">
          <Combobox
            id="kw-query-type"
            width={18}
            options={opts(QUERY_TYPES)}
            value={type}
            onChange={(o) => change({ queryType: o.value as QueryType, view: undefined, fields: undefined })}
          />
        </InlineField>
        {views.length > 1 && (
          <InlineField label="View" labelWidth={8} htmlFor="kw-view">
            <Combobox
              id="kw-view"
              width={18}
              options={opts(views)}
              value={view}
              onChange={(o) => change({ view: o.value })}
            />
          </InlineField>
        )}
        <InlineField label="Agents" labelWidth={10} tooltip="None: every agent of the datasource" htmlFor="kw-agents">
          <MultiCombobox
            id="kw-agents"
            width="auto"
            minWidth={20}
            options={opts(agents)}
            value={query.agents ?? []}
            onChange={(os) => change({ agents: os.map((o) => o.value) })}
          />
        </InlineField>
      </Stack>
      {isSeries && (
        <InlineField label="Figures" labelWidth={10} tooltip="None: the defaults" htmlFor="kw-figures">
          <MultiCombobox
            id="kw-figures"
            width="auto"
            minWidth={30}
            options={opts(type === 'system' ? SYSTEM_FIELDS : CONTAINER_FIELDS)}
            value={query.fields ?? []}
            onChange={(os) => change({ fields: os.map((o) => o.value) })}
          />
        </InlineField>
      )}
      {filtersContainers && (
        <Stack gap={0} wrap="wrap">
          {type === 'top' && (
            <>
              <InlineField label="By" labelWidth={10} htmlFor="kw-by">
                <Combobox
                  id="kw-by"
                  width={28}
                  options={opts(TOP_FIGURES)}
                  value={query.by ?? 'cpu_percent'}
                  onChange={(o) => change({ by: o.value })}
                />
              </InlineField>
              <InlineField label="Rank" labelWidth={8} htmlFor="kw-rank">
                <Combobox
                  id="kw-rank"
                  width={12}
                  options={opts(['mean', 'peak'])}
                  value={query.rank ?? 'mean'}
                  onChange={(o) => change({ rank: o.value as 'mean' | 'peak' })}
                />
              </InlineField>
            </>
          )}
          {type === 'containers' && (
            <>
              <InlineField label="Kind" labelWidth={10} htmlFor="kw-kind">
                <Combobox
                  id="kw-kind"
                  width={14}
                  isClearable
                  options={opts(kinds)}
                  value={query.kind ?? null}
                  onChange={(o) => change({ kind: o?.value ?? '' })}
                />
              </InlineField>
              <InlineField label="Class" labelWidth={8} htmlFor="kw-class">
                <Combobox
                  id="kw-class"
                  width={12}
                  isClearable
                  options={opts(['high', 'low'])}
                  value={query.class || null}
                  onChange={(o) => change({ class: (o?.value ?? '') as KwardenQuery['class'] })}
                />
              </InlineField>
              <InlineField label="Name" labelWidth={8} tooltip="A regular expression (RE2)">
                <Input
                  aria-label="name"
                  width={20}
                  value={query.name ?? ''}
                  placeholder="kw-cpu-.*"
                  onChange={(e) => change({ name: e.currentTarget.value }, false)}
                  onBlur={onRunQuery}
                />
              </InlineField>
              <InlineField label="Removed" labelWidth={10} tooltip="Add the removed containers the history holds">
                <InlineSwitch
                  aria-label="removed"
                  value={!!query.includeRemoved}
                  onChange={(e) => change({ includeRemoved: e.currentTarget.checked })}
                />
              </InlineField>
            </>
          )}
        </Stack>
      )}
      <Stack gap={0} wrap="wrap">
        {(type === 'events' || (type === 'crosscheck' && view === 'discrepancies')) && (
          <InlineField label="Event kind" labelWidth={12} tooltip="A prefix: policy., docker., crosscheck.">
            <Input
              aria-label="event kind"
              width={20}
              value={query.eventKind ?? ''}
              placeholder="policy."
              onChange={(e) => change({ eventKind: e.currentTarget.value }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        <InlineField label="Limit" labelWidth={10} tooltip="How many series, containers, processes or events">
          <Input
            aria-label="limit"
            type="number"
            width={10}
            value={query.limit ?? ''}
            onChange={(e) => change({ limit: Number(e.currentTarget.value) || undefined }, false)}
            onBlur={onRunQuery}
          />
        </InlineField>
        {(type === 'system' || type === 'containers') && (
          <InlineField label="Live" labelWidth={8} tooltip="Follow the agents' stream, a point per tick">
            <InlineSwitch
              aria-label="live"
              value={!!query.live}
              onChange={(e) => change({ live: e.currentTarget.checked })}
            />
          </InlineField>
        )}
      </Stack>
    </Stack>
  );
}
