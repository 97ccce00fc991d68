export { AlbRouter, type AlbRouterConfig, type AlbTargets } from './router';
