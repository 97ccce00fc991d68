// Imported first by bench/run.ts: the bench never reaches AWS (dummy credentials, fixed region),
// and the handlers' logs and the SDK's Node 20 notice would drown the progress lines.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIABENCHONLY0000000';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-only';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
export {};
