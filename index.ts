/** fountcast's public library surface. Internals stay behind their folders. */
export {
  send,
  SendOptionsError,
  type SendOptions,
  type SendSummary,
  type ReceiverSummary,
  type SendProgress,
  type ReceiverProgress,
  type ServedObject,
} from './sender/send.js';
export type { ControlPeer, PeerLink } from './sender/sendConfig.js';
export { relay, type RelayOptions } from './sender/relay.js';
export { RelayCache } from './receiver/relayCache.js';
export type { RelaySource } from './sender/relayedObject.js';
export { commandPeer } from './sender/commandPeer.js';
export { sshPeers, SshTargetError } from './sender/sshTarget.js';
export { joinPipes, type ByteStream } from './control/byteStream.js';
export { receive, ReceiveError, type ReceiveOptions, type ReceiveSummary } from './receiver/receive.js';
export {
  DecodeWorkerError,
  DiskError,
  HashMismatchError,
  ManifestRejectedError,
  OutputConflictError,
  ReceiveOptionsError,
  SenderAuthenticationError,
  TamperedSourceError,
  TransferAbortedError,
  UnsafeOutputPathError,
  UntrustedManifestError,
} from './receiver/errors.js';
export { TrustStateError } from './receiver/trustState.js';
export { receiveForever, type PublicationEvent, type StandingReceiveOptions } from './receiver/standingReceiver.js';
export { type RefusalReason } from './receiver/standingPolicy.js';
export { StandingStateError } from './receiver/standingState.js';
export { SourceFileError } from './sender/preparedFile.js';
export { StreamFailedError } from './sender/streamFailedError.js';
export { CodecError, LayoutError } from './encoder/errors.js';
export { IntegrityKeyError } from './encoder/integrity.js';
export { FrameTooLargeError, LocalProtocolError, RemoteProtocolError } from './control/errors.js';
export { KeyFileError } from './control/publication.js';
export { InterfaceError } from './util/netInterface.js';
export type { Codec, SegmentDecoder, SegmentEncoder, CodecParameters, EncodedSymbol } from './encoder/codec.js';
export { raptorqCodec } from './encoder/raptorq.js';
export { PROTOCOL_VERSION, type Manifest, type Progress } from './control/messages.js';
export { enroll, keygen, loadPrivateKeyFile, loadPublicKeyFile, loadReceiverKeyFile, receiverKeyDirectory } from './control/keyFiles.js';
