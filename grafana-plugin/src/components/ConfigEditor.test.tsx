import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceSettings } from '@grafana/data';
import { ConfigEditor } from './ConfigEditor';
import { KwardenOptions, KwardenSecureJsonData } from '../types';

function settings(
  jsonData: KwardenOptions,
  secureJsonFields: Record<string, boolean> = {}
): DataSourceSettings<KwardenOptions, KwardenSecureJsonData> {
  return {
    id: 1,
    uid: 'kw',
    orgId: 1,
    name: 'kwarden',
    type: 'kwarden-agent-datasource',
    typeName: 'kwarden agent',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated, yet a required key of the settings
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields,
    readOnly: false,
    withCredentials: false,
  };
}

describe('ConfigEditor', () => {
  it('lists the agents and edits one', async () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({ agents: [{ name: 'lab-a', url: 'http://10.0.0.1:9070' }] })}
        onOptionsChange={onOptionsChange}
      />
    );
    expect(screen.getByLabelText('agent 1 name')).toHaveValue('lab-a');
    expect(screen.getByLabelText('agent 1 URL')).toHaveValue('http://10.0.0.1:9070');
    await userEvent.type(screen.getByLabelText('agent 1 name'), '2');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: { agents: [{ name: 'lab-a2', url: 'http://10.0.0.1:9070' }] } })
    );
    await userEvent.click(screen.getByText('Add agent'));
    expect(onOptionsChange.mock.calls.at(-1)[0].jsonData.agents).toHaveLength(2);
  });

  it('keeps a saved token secret: shown as configured, never its value, and reset to change it', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ agents: [] }, { token: true })} onOptionsChange={onOptionsChange} />);
    const token = screen.getByLabelText('token');
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    await userEvent.click(screen.getByText('Reset'));
    const next = onOptionsChange.mock.calls.at(-1)[0];
    expect(next.secureJsonFields.token).toBe(false);
    expect(next.secureJsonData.token).toBe('');
  });

  it('puts a new token in secureJsonData, never in jsonData', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ agents: [] })} onOptionsChange={onOptionsChange} />);
    await userEvent.type(screen.getByLabelText('token'), 's');
    const next = onOptionsChange.mock.calls.at(-1)[0];
    expect(next.secureJsonData).toEqual({ token: 's' });
    expect(JSON.stringify(next.jsonData)).not.toContain('"s"');
    expect(next.jsonData).not.toHaveProperty('token');
  });
});
