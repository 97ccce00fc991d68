export type {
  ReportEvent,
  ReportEventKind,
  ReportSample,
  ReportStep,
  RolloutReport,
  VersionStats,
} from './types';
export { renderReport, downsample, escapeHtml, fmtDuration, MAX_POINTS } from './render';
export { writeReport } from './write';
export { checkReportInBrowser, findChromium, CHROMIUM_ARGS } from './browser';
export type { BrowserCheck } from './browser';
