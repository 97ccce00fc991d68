// Tests never reach AWS: dummy credentials and a fixed region for every SDK client.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDTEST';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test-secret';
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The SDK's Node 20 end-of-support notice would repeat in every suite's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
import '../src/shared/polyfills';
