export * from './schema';
export * from './errors';
export * from './duration';
export { parseSpec, formatPath, toSpecIssues } from './validate';
export * from './analysis';
