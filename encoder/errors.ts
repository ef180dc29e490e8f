/** Errors raised by the encoder layer. Stable `name`s: tests and callers switch on them. */

/** A caller passed parameters the codec cannot work with (a local bug, not peer input). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Segment layout parameters are out of range (symbol size, segment size, file size). */
export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}
