export { LambdaAliasRouter, type LambdaAliasConfig, type LambdaVersions } from './router';
