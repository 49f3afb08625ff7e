/**
 * Hostile input and personal data (the same run as `npm run test:reliability`'s, it is small): the
 * injection corpus in every field the product renders, with a hostile PRACTICE_NAME and alerts that
 * show the first name and the comment; every line the functions and the stack write is captured,
 * and none may carry a client's email address, name or comment.
 */
import { hostileSuite } from '../reliability/support/hostile-suite.ts';

hostileSuite();
