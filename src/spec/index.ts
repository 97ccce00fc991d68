export * from './schema';
export * from './errors';
export * from './duration';
export { parseSpec, parseSpecText, loadSpecFile, formatPath } from './load';
export { specJsonSchema } from './json-schema';
