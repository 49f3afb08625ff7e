/**
 * Powertools singletons, one per container. Log lines carry ids and outcomes, never personal data:
 * no email addresses, names or comments are ever passed to the logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? serviceName });
}
