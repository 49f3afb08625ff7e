/**
 * A problem starting the local stack that a developer can fix (missing Java, a port in use, a bad
 * setting): `npm start` prints its message as is, without a stack trace.
 */
export class LocalStackError extends Error {
  override name = 'LocalStackError';
}

/** `java` is not on the PATH, so DynamoDB Local cannot run. */
export class JavaNotFoundError extends LocalStackError {
  override name = 'JavaNotFoundError';
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or later, but `java` was not found on your PATH. Install it (Debian/Ubuntu: `sudo apt-get install default-jre-headless`; macOS: `brew install openjdk`, then put `$(brew --prefix openjdk)/bin` on your PATH) and run `npm start` again.',
    );
  }
}
