/**
 * Powertools singletons, one per container. Log lines carry ids and outcomes, never personal data:
 * no email addresses, names or comments are ever passed to the logger. Metrics carry counts and
 * durations under a fixed set of dimensions (shared/metrics.ts), never an id.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import { METRICS_NAMESPACE, type MetricsRecorder } from '../metrics.ts';

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? serviceName });
}

/**
 * The function's metrics (EMF on stdout, which Lambda ships to its log group and CloudWatch turns
 * into metrics; no API call, no IAM permission). `serviceName` becomes the `service` dimension and
 * must be the function's id in infra/routes.ts: the dashboard looks the metrics up by it.
 * POWERTOOLS_METRICS_DISABLED=true (the local stack sets it) keeps EMF off the console.
 */
export function createMetrics(serviceName: string, logger: Logger): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger: quietWhenEmpty(logger) });
}

/**
 * Powertools warns on every flush that has no metrics, and most web requests (a page view) have
 * none: that warning goes to debug so it does not fill the log; every other warning stays one.
 */
function quietWhenEmpty(logger: Logger): NonNullable<MetricsOptions['logger']> {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) => (message.startsWith('No application metrics to publish') ? logger.debug(message) : logger.warn(message)),
    error: (message: string) => logger.error(message),
  };
}

/**
 * Records through Powertools. A metric with a dimension is emitted on its own (`singleMetric`):
 * Powertools applies dimensions to everything flushed together, and one batch can hold a sent
 * request and a skipped one, or two skips with different reasons.
 */
export function metricsRecorder(metrics: Metrics): MetricsRecorder {
  return {
    count(name, dimension) {
      if (dimension === undefined) {
        metrics.addMetric(name, MetricUnit.Count, 1);
        return;
      }
      const single = metrics.singleMetric();
      single.addDimension(dimension.name, dimension.value);
      single.addMetric(name, MetricUnit.Count, 1);
    },
    seconds(name, value) {
      metrics.addMetric(name, MetricUnit.Seconds, value);
    },
  };
}

/**
 * A Lambda handler for an HTTP API route served by `app`: the request id on every log line (to
 * find one request's lines; the path, which may carry a token, never is), and one EMF line per
 * request that counted something (a page view writes none).
 */
export function httpHandler<Event, Result>(app: (event: Event) => Promise<Result>, logger: Logger, metrics: Metrics): (event: Event, context?: Context) => Promise<Result> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await app(event);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
