/**
 * Items 3 and 4: the injection corpus in every rendered field with a hostile PRACTICE_NAME, and the
 * log lines of the whole run searched for personal data. Its own process: the functions read
 * PRACTICE_NAME and the alert settings once, when the stack loads them.
 */
import { hostileSuite } from './support/hostile-suite.ts';

hostileSuite();
