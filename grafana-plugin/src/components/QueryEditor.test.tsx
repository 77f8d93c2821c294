import React from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryEditor } from './QueryEditor';
import { DataSource } from '../datasource';
import { KwardenQuery } from '../types';

// The editor's dropdowns come from the backend's resources.
function datasource(): DataSource {
  return {
    resource: jest.fn(async (path: string) =>
      path === 'agents' ? { items: [{ name: 'lab-a' }, { name: 'lab-b' }] } : { items: ['cpu', 'ram', 'low'] }
    ),
  } as unknown as DataSource;
}

// setup renders the editor and waits for its dropdowns' resources.
async function setup(query: KwardenQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const ds = datasource();
  render(<QueryEditor datasource={ds} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
  await waitFor(() => expect(ds.resource).toHaveBeenCalledTimes(2));
  await act(async () => {});
  return { onChange, onRunQuery, ds };
}

describe('QueryEditor', () => {
  it('renders a system query with its figures and asks the backend for the agents', async () => {
    const { ds } = await setup({ refId: 'A', queryType: 'system' });
    expect(screen.getByLabelText('Query')).toHaveValue('system');
    expect(screen.getByLabelText('Figures')).toBeInTheDocument();
    expect(screen.queryByLabelText('View')).not.toBeInTheDocument();
    await waitFor(() => expect(ds.resource).toHaveBeenCalledWith('agents'));
  });

  it('shows the container filters of a containers query', async () => {
    await setup({ refId: 'A', queryType: 'containers', kind: 'cpu', includeRemoved: true });
    expect(screen.getByLabelText('View')).toHaveValue('series');
    expect(screen.getByLabelText('Kind')).toHaveValue('cpu');
    expect(screen.getByLabelText('removed')).toBeChecked();
  });

  it('changes the query type, dropping what only the old one took', async () => {
    const { onChange, onRunQuery } = await setup({ refId: 'A', queryType: 'system', fields: ['cpu_percent'] });
    // The menu is virtualised (jsdom lays out nothing): pick by typing.
    await userEvent.type(screen.getByLabelText('Query'), 'top{enter}');
    expect(onChange).toHaveBeenCalledWith(
      expect.objectContaining({ queryType: 'top', view: undefined, fields: undefined })
    );
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('changes a container name filter and runs it on blur', async () => {
    const { onChange, onRunQuery } = await setup({ refId: 'A', queryType: 'containers' });
    await userEvent.type(screen.getByLabelText('name'), 'k');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ name: 'k' }));
    expect(onRunQuery).not.toHaveBeenCalled();
    await userEvent.tab();
    expect(onRunQuery).toHaveBeenCalled();
  });
});
