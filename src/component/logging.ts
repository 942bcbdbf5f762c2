// Log lines and events (DESIGN §10). Levels order DEBUG < TRACE < INFO <
// REPORT < WARN < ERROR; a logger prints what is at or above its level.
// Events are one JSON line each, for log streams.
import { LOG_LEVELS } from "./core/validation.js";
import type { LogLevel } from "./validators.js";

export const DEFAULT_LOG_LEVEL: LogLevel = "REPORT";

export type WorkpoolEvent =
  | "enqueued"
  | "started"
  | "completed"
  | "report"
  | "recovered"
  | "loopRestarted"
  | "onCompleteFailed"
  | "reportDeferred"
  | "reportLost";

export type Logger = {
  level: LogLevel;
  debug: (...args: unknown[]) => void;
  info: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
  /** Prints `{"component":"workpool","event":...}` if `level` is shown. */
  event: (level: LogLevel, event: WorkpoolEvent, fields: object) => void;
};

export function shouldLog(threshold: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

export function createLogger(level: LogLevel = DEFAULT_LOG_LEVEL): Logger {
  const at =
    (l: LogLevel, print: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (shouldLog(level, l)) print("[workpool]", ...args);
    };
  return {
    level,
    debug: at("DEBUG", console.debug),
    info: at("INFO", console.info),
    warn: at("WARN", console.warn),
    error: at("ERROR", console.error),
    event: (l, event, fields) => {
      if (!shouldLog(level, l)) return;
      const line = JSON.stringify({ component: "workpool", event, ...fields });
      if (l === "ERROR") console.error(line);
      else if (l === "WARN") console.warn(line);
      else console.log(line);
    },
  };
}
