export { AppMeshRouter, type AppMeshNodes, type AppMeshRouterConfig } from './router';
