/** A Progress report for sender-core tests: an empty one, with the fields a test sets. */
import type { Progress } from '../../control/messages.js';

export const progress = (over: Partial<Progress>): Progress => ({
  type: 'progress',
  completeBelow: 0,
  completeAbove: [],
  open: [],
  highestSequence: 0,
  datagramsReceived: 0,
  datagramsLost: 0,
  ...over,
});
