/**
 * AWS partitions as botocore's `partitions.json` describes them (region pattern, DNS suffixes), for
 * the one client we sign ourselves (src/shared/document-table-lite.ts). The first match wins (so
 * `aws`, whose pattern also takes `us-gov-…`, is last); a region that matches none is in `aws`, as
 * the SDK's `aws.partition` answers.
 */
const PARTITIONS = [
  { name: 'aws-cn', regions: /^cn-\w+-\d+$/, dnsSuffix: 'amazonaws.com.cn', dualStackDnsSuffix: 'api.amazonwebservices.com.cn' },
  { name: 'aws-eusc', regions: /^eusc-(de)-\w+-\d+$/, dnsSuffix: 'amazonaws.eu', dualStackDnsSuffix: 'api.amazonwebservices.eu' },
  { name: 'aws-iso', regions: /^us-iso-\w+-\d+$/, dnsSuffix: 'c2s.ic.gov', dualStackDnsSuffix: 'api.aws.ic.gov' },
  { name: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/, dnsSuffix: 'sc2s.sgov.gov', dualStackDnsSuffix: 'api.aws.scloud' },
  { name: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/, dnsSuffix: 'cloud.adc-e.uk', dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk' },
  { name: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/, dnsSuffix: 'csp.hci.ic.gov', dualStackDnsSuffix: 'api.aws.hci.ic.gov' },
  { name: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/, dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' },
  { name: 'aws', regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' },
] as const;

/** The partition of a region (`aws`, the last, for one no pattern knows, as the SDK). */
export function partitionOf(region: string): (typeof PARTITIONS)[number] {
  return PARTITIONS.find((p) => p.regions.test(region)) ?? PARTITIONS[7];
}

/** The endpoint variants the SDK reads from the environment (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT). */
export interface EndpointVariants {
  fips?: boolean;
  dualStack?: boolean;
}

/**
 * DynamoDB's endpoint for a region, by the rules of botocore's `dynamodb` endpoint-rule-set-1.json
 * (account-ID endpoints aside: a Lambda's credentials carry no account ID): FIPS is `dynamodb-fips`
 * except in GovCloud, whose endpoints already are; dual-stack uses the partition's dual-stack suffix.
 */
export function dynamoEndpoint(region: string, variants: EndpointVariants = {}): string {
  if (!region) throw new Error('no AWS region: set AWS_REGION (a Lambda function always has it)');
  if (region === 'local') {
    if (variants.fips || variants.dualStack) throw new Error('Invalid Configuration: FIPS and Dualstack are not supported with the local endpoint');
    return 'http://localhost:8000';
  }
  const p = partitionOf(region);
  const suffix = variants.dualStack ? p.dualStackDnsSuffix : p.dnsSuffix;
  const fips = variants.fips && !(p.name === 'aws-us-gov' && !variants.dualStack);
  return `https://dynamodb${fips ? '-fips' : ''}.${region}.${suffix}`;
}

/** A `true`/`false` environment flag as the SDK reads it: unset is false; any other value is refused, naming the variable. */
export function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '') return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`${name} must be "true" or "false" (it is ${JSON.stringify(value)})`);
}
