import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { globMatch } from '../../../src/shared/glob';

/**
 * IAM scoping, read from the packaged CloudFormation template (`npm run package`, offline). Generic
 * on purpose: it inspects every role and every statement, so a router's own fragment passes when
 * its statements are scoped and fails when they are not.
 */

const ROOT = join(__dirname, '..', '..', '..');
const TEMPLATE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

type Json = unknown;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: Json;
  Condition?: Record<string, Record<string, Json>>;
}
interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, Json> }>;
}

/** Packages when the template is missing or older than what it is built from. */
function freshTemplate(): Template {
  const sources = [join(ROOT, 'serverless.yml'), ...['serverless', 'statemachines'].flatMap((d) => readdirSync(join(ROOT, d)).map((f) => join(ROOT, d, f)))];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(TEMPLATE) || statSync(TEMPLATE).mtimeMs < newest) {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.js')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) throw new Error(`npm run package failed:\n${run.stdout}\n${run.stderr}`);
  }
  return JSON.parse(readFileSync(TEMPLATE, 'utf8')) as Template;
}

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/**
 * Every string an intrinsic may evaluate to, conditions taken both ways (a statement behind a
 * false condition with default params still counts: a deployment may turn it on).
 */
function strings(value: Json, vars: Record<string, string[]> = {}): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, vars));
  if (!value || typeof value !== 'object') return [];
  const o = value as Record<string, Json>;
  if ('Ref' in o) return o.Ref === 'AWS::NoValue' ? [] : [PSEUDO[o.Ref as string] ?? `ref:${String(o.Ref)}`];
  if ('Fn::GetAtt' in o) return [`arn:aws:cfn:${REGION}:${ACCOUNT}:${(o['Fn::GetAtt'] as string[]).join('.')}`];
  if ('Fn::If' in o) return (o['Fn::If'] as Json[]).slice(1).flatMap((v) => strings(v, vars));
  if ('Fn::Split' in o) {
    const [sep, text] = o['Fn::Split'] as [string, Json];
    return strings(text, vars).flatMap((s) => s.split(sep));
  }
  if ('Fn::Sub' in o) {
    const sub = o['Fn::Sub'];
    const [text, local] = Array.isArray(sub) ? (sub as [string, Record<string, Json>]) : [sub as string, {}];
    const own: Record<string, string[]> = { ...vars, ...Object.fromEntries(Object.entries(local).map(([k, v]) => [k, strings(v, vars)])) };
    let out = [text];
    for (const name of text.match(/\$\{[^}]+\}/g) ?? []) {
      const key = name.slice(2, -1);
      const values = PSEUDO[key] !== undefined ? [PSEUDO[key]!] : own[key] ?? [`arn:aws:cfn:${REGION}:${ACCOUNT}:${key}`];
      out = out.flatMap((s) => values.map((v) => s.split(name).join(v)));
    }
    return out;
  }
  return [];
}

function statementsOf(policyDocument: Json): Statement[] {
  return ((policyDocument as { Statement?: Json[] }).Statement ?? []).flatMap((s) => {
    if (s && typeof s === 'object' && 'Fn::If' in (s as object)) return ((s as { 'Fn::If': Json[] })['Fn::If'].slice(1) as Json[]).filter((b) => !(b as { Ref?: string }).Ref) as Statement[];
    return [s as Statement];
  });
}

/** Role logical id → every Allow statement attached to it (inline policies and AWS::IAM::Policy resources). */
function roleStatements(t: Template): Map<string, Statement[]> {
  const roles = new Map<string, Statement[]>();
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const inline = ((r.Properties.Policies as Array<{ PolicyDocument: Json }>) ?? []).flatMap((p) => statementsOf(p.PolicyDocument));
    roles.set(id, inline);
  }
  for (const r of Object.values(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const role of (r.Properties.Roles as Array<{ Ref: string }>) ?? []) roles.get(role.Ref)?.push(...statementsOf(r.Properties.PolicyDocument));
  }
  for (const [id, list] of roles) roles.set(id, list.filter((s) => s.Effect === 'Allow'));
  return roles;
}

/** Function name (as in serverless.yml) → its role's logical id. */
function functionRoles(t: Template): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !id.endsWith('LambdaFunction')) continue;
    const role = (r.Properties.Role as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0];
    const name = id.slice(0, -'LambdaFunction'.length);
    if (role) out.set(name.charAt(0).toLowerCase() + name.slice(1), role);
  }
  return out;
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const allows = (s: Statement, action: string): boolean => actions(s).some((a) => globMatch(a.toLowerCase(), action.toLowerCase()));
const resources = (s: Statement): string[] => strings(s.Resource);
const grants = (s: Statement, action: string, arn: string): boolean => allows(s, action) && resources(s).some((r) => globMatch(r, arn));

const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;

/** Which functions read which secret; every other role must be unable to read it. */
const SECRETS: Array<{ what: string; arn: string; readers: string[] }> = [
  { what: 'approval link signing key', arn: parameter('/canary-controller/approval-key'), readers: ['requestApproval', 'approvalApi'] },
  { what: 'GitHub webhook secret', arn: parameter('/canary-controller/github-webhook-secret'), readers: ['triggerGitHub'] },
  {
    what: 'chat webhook URL',
    arn: parameter('/canary-controller/notify/slack'),
    readers: ['prepare', 'step', 'promote', 'rollback', 'reportFailure', 'requestApproval', 'deployCanary', 'checkWorkload', 'promoteWorkload', 'scaleDownCanary'],
  },
];

/** Writes AWS only allows on '*' (no resource-level permission exists), each with why it is bounded. */
const STAR_ONLY: Record<string, string> = {
  'ecs:RegisterTaskDefinition': 'no resource type in the Service Authorization Reference; bounded by iam:PassRole on the listed task roles',
  'xray:PutTraceSegments': 'X-Ray tracing of the state machine; X-Ray has no resource types',
  'xray:PutTelemetryRecords': 'X-Ray tracing of the state machine; X-Ray has no resource types',
};
const READ_ONLY = /^[a-z0-9-]+:(Describe|Get|List|BatchGet)[A-Za-z]*$/;
const DYNAMO_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];

describe('packaged template: IAM scoping', () => {
  let template: Template;
  let roles: Map<string, Statement[]>;
  let fnRoles: Map<string, string>;

  beforeAll(() => {
    template = freshTemplate();
    roles = roleStatements(template);
    fnRoles = functionRoles(template);
  }, 600_000);

  it('finds the roles and functions it checks (a template this test cannot read would pass vacuously)', () => {
    expect(roles.size).toBeGreaterThanOrEqual(8);
    expect(fnRoles.get('triggerGitHub')).toBeDefined();
    expect(fnRoles.get('requestApproval')).toBeDefined();
  });

  it.each(SECRETS)('lets only the roles of the functions that use it read the $what', ({ arn, readers }) => {
    const allowed = new Set(readers.map((f) => fnRoles.get(f)));
    const readersFound = [...roles].filter(([, list]) => list.some((s) => grants(s, 'ssm:GetParameter', arn) || grants(s, 'ssm:GetParameters', arn))).map(([id]) => id);
    expect(readersFound.filter((id) => !allowed.has(id))).toEqual([]);
    // And the ones that need it can.
    for (const f of readers) if (fnRoles.has(f)) expect(readersFound).toContain(fnRoles.get(f));
  });

  it('lets no role read an SSM parameter or secret it was not given (no prefix-wide grant over /canary-controller/)', () => {
    const stray = [parameter('/canary-controller/other-secret'), parameter('/prod/db-password')];
    const offenders = [...roles].flatMap(([id, list]) =>
      list.filter((s) => stray.some((arn) => grants(s, 'ssm:GetParameter', arn)) || grants(s, 'secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod-db-AbCdEf`)).map(() => id),
    );
    expect(offenders).toEqual([]);
  });

  it('allows no write action on "*" and no wildcard action', () => {
    const offenders: string[] = [];
    for (const [id, list] of roles) {
      for (const s of list) {
        for (const a of actions(s)) if (a === '*' || a.endsWith(':*')) offenders.push(`${id}: ${a}`);
        if (!resources(s).includes('*')) continue;
        for (const a of actions(s)) if (!READ_ONLY.test(a) && STAR_ONLY[a] === undefined) offenders.push(`${id}: ${a} on *`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('scopes kms:Decrypt to named keys, never "*"', () => {
    const onStar = [...roles].filter(([, list]) => list.some((s) => allows(s, 'kms:Decrypt') && resources(s).some((r) => r === '*' || r.endsWith(':key/*')))).map(([id]) => id);
    expect(onStar).toEqual([]);
  });

  it('keeps the public webhook role off lock, rollout and alarm items (dynamodb:LeadingKeys)', () => {
    const role = fnRoles.get('triggerGitHub')!;
    const table = `arn:aws:cfn:${REGION}:${ACCOUNT}:RolloutTable.Arn`;
    const writes = roles.get(role)!.filter((s) => DYNAMO_WRITES.some((a) => grants(s, a, table)));
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes) {
      const leading = strings(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? s.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys']);
      expect(leading.length).toBeGreaterThan(0);
      for (const item of ['LOCK#appmesh:my-mesh/user-router/user-route', 'ROLLOUT#user-service-1', 'ALARM#user-service-5xx']) {
        expect(leading.some((p) => globMatch(p, item))).toBe(false);
      }
      expect(leading.some((p) => globMatch(p, 'SPEC#user-service'))).toBe(true);
    }
  });

  it('throttles the public HTTP API', () => {
    const stages = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    expect(stages.length).toBeGreaterThan(0);
    for (const s of stages) {
      const settings = s.Properties.DefaultRouteSettings as { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number } | undefined;
      expect(settings?.ThrottlingRateLimit).toBeGreaterThan(0);
      expect(settings?.ThrottlingBurstLimit).toBeGreaterThan(0);
    }
  });

  it('sends the bake task token only to a bus no rule reads', () => {
    const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'rollout.asl.json'), 'utf8')) as { States: Record<string, { Resource?: string; Parameters?: { Entries?: Array<{ EventBusName: { Ref: string }; Detail: Record<string, string> }> } }> };
    const tokenBuses = Object.values(asl.States)
      .filter((s) => s.Resource === 'arn:aws:states:::events:putEvents.waitForTaskToken')
      .flatMap((s) => s.Parameters!.Entries!.map((e) => e.EventBusName.Ref));
    expect(tokenBuses.length).toBeGreaterThan(0);
    const ruleBuses = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => JSON.stringify(r.Properties.EventBusName ?? 'default'));
    for (const bus of tokenBuses) {
      expect(bus).not.toBe('EventBus');
      expect(template.Resources[bus]?.Type).toBe('AWS::Events::EventBus');
      expect(ruleBuses.filter((b) => b.includes(`"${bus}"`))).toEqual([]);
    }
  });
});
