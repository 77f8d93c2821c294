// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

// @grafana/ui's editors pull in d3-color and others that ship only ES
// modules as .mjs: route those through the scaffold's swc transform too.
const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  transform: { ...base.transform, '^.+\\.mjs$': swc },
};
