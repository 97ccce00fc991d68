// Imported first by the local entry points: the handlers' structured Lambda logs would drown the
// live view (set POWERTOOLS_LOG_LEVEL=INFO to see them), and the SDK's Node 20 notice is noise here.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
