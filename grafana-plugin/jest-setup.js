// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// @grafana/ui's Combobox sizes itself with a canvas's measureText, which
// jsdom lacks (the scaffold's getContext returns nothing).
HTMLCanvasElement.prototype.getContext = () => ({ measureText: (text) => ({ width: text.length * 8 }) });

// Its menu virtualises its rows with an IntersectionObserver, which
// jsdom lacks too.
global.IntersectionObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
};
