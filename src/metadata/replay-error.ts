/**
 * A metadata record that cannot be applied to the image it follows (a partition of an
 * unknown topic, a fence with a stale broker epoch, ...). Replaying the log hits it only
 * when the log is inconsistent; the controller hits it before writing, so nothing that
 * cannot be replayed reaches the log.
 */
export class MetadataReplayError extends Error {
  override readonly name: string = 'MetadataReplayError';
}

/** A record type the image does not model yet (ACLs, SCRAM, quotas, tokens, ...). */
export class UnsupportedMetadataRecordError extends MetadataReplayError {
  override readonly name = 'UnsupportedMetadataRecordError';

  constructor(readonly recordType: string) {
    super(`${recordType} is not supported by this metadata image yet`);
  }
}
