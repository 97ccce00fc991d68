// Imported first by the local entry points: the handlers' structured Lambda logs would drown the
// live view (set POWERTOOLS_LOG_LEVEL=INFO or pass --verbose to see them), and the SDK's Node 20
// notice is noise here. The logger reads its level once, when src/shared/lambda is first loaded.
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
