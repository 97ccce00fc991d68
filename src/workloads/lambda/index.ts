export { LambdaWorkload } from './workload';
