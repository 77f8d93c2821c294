import React from 'react';
import { Button, InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { AgentSetting, KwardenOptions, KwardenSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<KwardenOptions, KwardenSecureJsonData>;

/**
 * The datasource's settings: the agents (one per machine of a
 * classroom), a timeout, and the agents' token, which goes to
 * secureJsonData and is never shown again once saved.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields } = options;
  const agents = jsonData.agents ?? [];

  const setAgents = (next: AgentSetting[]) => onOptionsChange({ ...options, jsonData: { ...jsonData, agents: next } });
  const setAgent = (i: number, a: Partial<AgentSetting>) =>
    setAgents(agents.map((x, j) => (j === i ? { ...x, ...a } : x)));

  return (
    <Stack direction="column" gap={1}>
      {agents.map((a, i) => (
        <Stack key={i} gap={1}>
          <InlineField
            label="Agent"
            labelWidth={14}
            tooltip="The name that labels this agent's frames and picks it in queries"
          >
            <Input
              aria-label={`agent ${i + 1} name`}
              value={a.name}
              placeholder="lab-1"
              width={20}
              onChange={(e) => setAgent(i, { name: e.currentTarget.value })}
            />
          </InlineField>
          <InlineField label="URL" labelWidth={8}>
            <Input
              aria-label={`agent ${i + 1} URL`}
              value={a.url}
              placeholder="http://127.0.0.1:9070"
              width={36}
              onChange={(e) => setAgent(i, { url: e.currentTarget.value })}
            />
          </InlineField>
          <Button
            aria-label={`remove agent ${i + 1}`}
            variant="secondary"
            icon="trash-alt"
            onClick={() => setAgents(agents.filter((_, j) => j !== i))}
          />
        </Stack>
      ))}
      <div>
        <Button variant="secondary" icon="plus" onClick={() => setAgents([...agents, { name: '', url: '' }])}>
          Add agent
        </Button>
      </div>
      <InlineField label="Timeout" labelWidth={14} tooltip="Seconds each call to an agent may take (default 10)">
        <Input
          aria-label="timeout"
          type="number"
          value={jsonData.timeoutSeconds ?? ''}
          placeholder="10"
          width={10}
          onChange={(e) =>
            onOptionsChange({
              ...options,
              jsonData: { ...jsonData, timeoutSeconds: Number(e.currentTarget.value) || undefined },
            })
          }
        />
      </InlineField>
      <InlineField label="Token" labelWidth={14} tooltip="The agents' bearer token (kwardend's -token-file)">
        <SecretInput
          aria-label="token"
          isConfigured={!!secureJsonFields?.token}
          value={options.secureJsonData?.token ?? ''}
          placeholder="the agents' token"
          width={40}
          onReset={() =>
            onOptionsChange({
              ...options,
              secureJsonFields: { ...secureJsonFields, token: false },
              secureJsonData: { ...options.secureJsonData, token: '' },
            })
          }
          onChange={(e) =>
            onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, token: e.currentTarget.value } })
          }
        />
      </InlineField>
    </Stack>
  );
}
