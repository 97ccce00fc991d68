#!/usr/bin/env node
// `npm run package`: offline `osls package`. Dummy credentials so nothing can reach AWS, no login, no telemetry.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIAPACKAGEONLY00000',
  AWS_SECRET_ACCESS_KEY: 'package-only-dummy-secret',
  AWS_REGION: process.env.AWS_REGION || 'us-east-1',
  AWS_SDK_LOAD_CONFIG: '0',
  AWS_EC2_METADATA_DISABLED: 'true',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_TRACKING_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
  SERVERLESS_PLATFORM_STAGE: 'none',
};
delete env.AWS_PROFILE;
delete env.AWS_SESSION_TOKEN;

const bin = path.join(__dirname, '..', 'node_modules', '.bin', 'osls');
const args = ['package', '--stage', process.env.STAGE || 'dev', '--region', env.AWS_REGION, ...process.argv.slice(2)];
const result = spawnSync(bin, args, { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
process.exit(result.status ?? 1);
