/** The file or tree being served cannot be read as announced (missing, unreadable, changed meanwhile). */
export class SourceFileError extends Error {
  override readonly name = 'SourceFileError';
}
