import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoStore } from '../rollouts/dynamo-store';
import { sdkDocumentTable } from '../shared/document-table-sdk';
import { SfnExecutions } from '../rollouts/sfn-executions';
import type { CliContext, OutputContext } from './context';
import { CliError, ExitCode, isAwsAccessError } from './errors';

export interface AwsOptions {
  region?: string;
  profile?: string;
  stage?: string;
  stateMachineArn?: string;
  table?: string;
}

/** The stack `serverless.yml` deploys for a stage. */
export function stackName(stage: string): string {
  return `canary-controller-${stage}`;
}

/** Reads the outputs canaryctl needs from the stack, unless both are given as flags. */
export async function resolveStack(opts: AwsOptions, cfn: CloudFormationClient): Promise<{ stateMachineArn: string; table: string }> {
  if (opts.stateMachineArn && opts.table) return { stateMachineArn: opts.stateMachineArn, table: opts.table };
  const name = stackName(opts.stage ?? 'dev');
  let outputs: Record<string, string>;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    outputs = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if (!isAwsAccessError(error) && /does not exist/i.test((error as Error).message)) {
      throw new CliError(`stack ${name} not found${opts.region ? ` in ${opts.region}` : ''}: pass --stage, --region, or --state-machine-arn and --table`, ExitCode.notFound);
    }
    throw error;
  }
  const stateMachineArn = opts.stateMachineArn ?? outputs.RolloutStateMachineArn;
  const table = opts.table ?? outputs.RolloutTableName;
  if (!stateMachineArn || !table) {
    throw new CliError(`stack ${name} has no RolloutStateMachineArn/RolloutTableName outputs: pass --state-machine-arn and --table`, ExitCode.notFound);
  }
  return { stateMachineArn, table };
}

/** The real context: SDK clients for the region and profile, the stack's table and state machine. */
export async function awsContext(opts: AwsOptions, io: OutputContext & { user?: string }): Promise<CliContext> {
  const config = { ...(opts.region ? { region: opts.region } : {}), ...(opts.profile ? { profile: opts.profile } : {}) };
  const { stateMachineArn, table } = await resolveStack(opts, new CloudFormationClient(config));
  const sfn = new SFNClient(config);
  return {
    ...io,
    store: new DynamoStore(table, sdkDocumentTable(new DynamoDBClient(config))),
    sfn,
    executions: new SfnExecutions(sfn),
    stateMachineArn,
  };
}
