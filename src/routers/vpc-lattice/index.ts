export { LatticeRouter, DEFAULT_ACTION, type LatticeRouterConfig, type LatticeTargets } from './router';
