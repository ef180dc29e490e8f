/**
 * The receiver's side of the handshake, without I/O: its Hello, and its judgements of a sender:
 * the authentication challenge, whether its
 * manifest is acceptable (codec, signature, datagram integrity), and what its closing the
 * connection means. Each refusal throws (or returns)
 * the typed error the run fails with.
 */
import type { KeyObject } from 'node:crypto';
import { proofMatches, receiverProof, senderProof, sessionKey, unwrapDataKey } from '../control/auth.js';
import { PROTOCOL_VERSION, type AuthResponse, type Challenge, type Hello, type Manifest } from '../control/messages.js';
import { publisherId, verifyPublication } from '../control/publication.js';
import { CODEC_NAMES, isCodecName, type CodecName } from '../encoder/codecs.js';
import { crc32Scheme, integrityFor, TagKind, type IntegrityScheme } from '../encoder/integrity.js';
import type { Codec } from '../encoder/codec.js';
import type { BitSet } from '../util/bitset.js';
import { ManifestRejectedError, ReceiveError, SenderAuthenticationError, UntrustedManifestError } from './errors.js';
import { LossSimulator } from './lossSimulator.js';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progressSchedule.js';
import type { ReceiveConfig } from './receiveConfig.js';
import { ReceiverCore } from './receiverCore.js';
import type { TrustRecord } from './receiveStates.js';

export interface ReceiverKey {
  readonly name: string;
  readonly secret: Uint8Array;
}

/**
 * The Hello this configuration says (`nonce`: Hello.auth's, for an enrolled receiver).
 * `resumeCandidate`: an earlier run may have left staging to resume, which needs the manifest's
 * digests up front, so digestsFollow is not offered (nor with `digestsFirst`: a relay).
 */
export function helloOf(c: ReceiveConfig, udpPort: number, nonce: Uint8Array, resumeCandidate = false): Hello {
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    receiverId: c.receiverId,
    codecs: [...CODEC_NAMES],
    udpPort,
    window: c.window,
    ...(c.address === undefined ? {} : { address: c.address }),
    ...(c.key ? { auth: { name: c.key.name, nonce: Buffer.from(nonce).toString('base64') } } : {}),
    // The sender may stream before it has hashed the file; nothing is verified or written
    // before its digest is here (ReceiverCore), and a signed manifest always carries them.
    // Nor before it has read a pipe to its end: the object then grows as its digests come. Nor
    // before a tree is hashed, unless its files are compared by their digests (--sync).
    ...(resumeCandidate || c.digestsFirst
      ? {}
      : { digestsFollow: true as const, lengthFollows: true as const, ...(c.sync ? {} : { treeDigestsFollow: true as const }) }),
  };
}

/** An enrolled receiver: the sender must prove it holds our key before we prove we do. */
export function answerChallenge(key: ReceiverKey | undefined, receiverNonce: Uint8Array, c: Challenge): { sessionKey: Uint8Array; response: AuthResponse } {
  if (key === undefined) throw new SenderAuthenticationError('the sender sent an authentication challenge to a receiver without --key');
  const senderNonce = Buffer.from(c.nonce, 'base64');
  if (!proofMatches(senderProof(key.secret, key.name, receiverNonce, senderNonce), Buffer.from(c.proof, 'base64'))) {
    throw new SenderAuthenticationError(`the sender could not prove it holds the key enrolled as ${key.name}: not the real sender`);
  }
  return {
    sessionKey: sessionKey(key.secret, key.name, receiverNonce, senderNonce),
    response: { type: 'auth-response', proof: receiverProof(key.secret, key.name, receiverNonce, senderNonce).toString('base64') },
  };
}

export function checkCodec(m: Manifest): CodecName {
  if (!isCodecName(m.codec))
    throw new ManifestRejectedError(`manifest names codec ${JSON.stringify(m.codec)}, which this receiver does not have (${CODEC_NAMES.join(', ')})`);
  return m.codec;
}

/** The signer's id when the manifest is signed (for the log), whether or not it is checked. */
export function signerOf(m: Manifest): string | undefined {
  return m.publication === undefined ? undefined : publisherId(Buffer.from(m.publication.publisher, 'base64'));
}

/** With --trust: the signature decides before anything is allocated; the replay state is checked next (by the adapter). */
export function checkSignature(publishers: readonly KeyObject[], m: Manifest): TrustRecord {
  const v = verifyPublication(m, publishers);
  if (!v.ok) throw new UntrustedManifestError(v.reason, v.detail);
  return { publisherId: v.publisherId, fileName: m.fileName, publishedAt: v.publishedAt };
}

/**
 * The datagram integrity the manifest asks for, refusing anything weaker than our enrollment.
 * `privateControl`: the control stream is one the caller vouches for (receive --stdio under
 * sshd), so a datagram key handed over in it as it is (Manifest.dataKey) is taken; over TCP
 * such a key has crossed the network in the clear, and the manifest is refused.
 */
export function integrityOf(key: ReceiverKey | undefined, sessionKeyBytes: Uint8Array | undefined, m: Manifest, privateControl = false): IntegrityScheme {
  if (m.dataKey !== undefined) {
    if (key !== undefined) throw new SenderAuthenticationError('the sender skipped the enrolled handshake and sent its datagram key as it is: refusing it');
    if (!privateControl)
      throw new ManifestRejectedError(
        'the sender sent its datagram key in the clear over the network: refusing it (only receive --stdio takes a key handed over that way)',
      );
    return integrityFor(m.tagKind, Buffer.from(m.dataKey, 'base64'));
  }
  if (key === undefined) {
    if (m.tagKind !== TagKind.Crc32) throw new ManifestRejectedError('the sender admits enrolled receivers only (its datagrams are MACed): give --key');
    return crc32Scheme;
  }
  if (sessionKeyBytes === undefined) throw new SenderAuthenticationError('the sender skipped authentication: refusing an unauthenticated manifest');
  const keyed = m.tagKind === TagKind.HmacSha256_128 || m.tagKind === TagKind.Aes256Gcm;
  if (!keyed || m.keyWrap === undefined)
    throw new SenderAuthenticationError(`the sender offers tag kind ${m.tagKind} without a key: refusing unauthenticated datagrams`);
  const dataKey = unwrapDataKey(sessionKeyBytes, m.keyWrap, m.sessionId);
  if (dataKey === undefined) throw new SenderAuthenticationError('the datagram key in the manifest does not open under this session key');
  return integrityFor(m.tagKind, dataKey);
}

/**
 * How long data may wait for a digest with none coming: a sender sends them every few ms while
 * it hashes (~1.5 GB/s, or far slower beside a busy stream at nice 10), so this only catches one
 * that never will. At least 30 s, and 6 idle timeouts.
 */
export function digestWaitLimitMs(idleTimeoutMs = 5000): number {
  return Math.max(30_000, 6 * idleTimeoutMs);
}

/**
 * A manifest being taken: the constructor judges codec, signature and integrity (throwing the
 * refusal); createCore makes the data path once the replay state (if any) agreed.
 */
export class ManifestTaking {
  readonly codecName: CodecName;
  readonly integrity: IntegrityScheme;
  /** --trust: what the replay state must be asked, and later record. */
  readonly trust: { readonly statePath: string; readonly record: TrustRecord } | undefined;

  constructor(
    private readonly config: ReceiveConfig,
    private readonly manifest: Manifest,
    sessionKeyBytes: Uint8Array | undefined,
  ) {
    this.codecName = checkCodec(manifest);
    this.trust = config.trust && { statePath: config.trust.statePath, record: checkSignature(config.trust.publishers, manifest) };
    this.integrity = integrityOf(config.key, sessionKeyBytes, manifest, config.control !== undefined);
  }

  /**
   * The data path's core; a manifest beyond this receiver's bounds is a ManifestRejectedError.
   * `held`: segments an earlier run wrote and re-verified (resume).
   */
  createCore(now: number, codec: Codec, held?: BitSet, manifest: Manifest = this.manifest): ReceiverCore {
    const c = this.config;
    try {
      return new ReceiverCore({
        manifest,
        codec,
        integrity: this.integrity,
        window: c.window,
        now,
        // A large group's sender asks for fewer reports; never more often than our own interval.
        ...(manifest.progressIntervalMs !== undefined ? { progressIntervalMs: Math.max(DEFAULT_PROGRESS_INTERVAL_MS, manifest.progressIntervalMs) } : {}),
        lossSimulator: c.intakeLoss ?? (c.simulateLoss ? new LossSimulator(c.simulateLoss, c.seed) : undefined),
        ...(held ? { held } : {}),
        sha256: c.sha256,
      });
    } catch (e) {
      throw e instanceof RangeError ? new ManifestRejectedError(e.message) : e;
    }
  }
}

/**
 * What a closed control connection means. After the sender's first frame it vanished. Before
 * it, silence until our own handshake timer is "said nothing" (no TLS hint: a TLS refusal
 * closes, it does not stall); a close by the sender (EOF, reset, or bytes that are not our
 * protocol, like a TLS alert) is how a TLS sender turns a plain client away, or how a failed
 * client certificate shows, so that one carries the hint.
 */
export function closedError(c: ReceiveConfig, answered: boolean, byOurTimer: boolean, reason: string): ReceiveError {
  if (answered) return new ReceiveError(`sender vanished: ${reason}`, { loss: 'vanished' });
  if (c.control)
    return new ReceiveError(
      byOurTimer
        ? `the sender said nothing on the control stream within ${c.connectTimeoutMs} ms`
        : `the control stream ended before the sender answered: ${reason}`,
      { loss: 'connect-failed' },
    );
  if (byOurTimer)
    return new ReceiveError(`the sender at ${c.host}:${c.port} accepted the connection but said nothing within ${c.connectTimeoutMs} ms`, {
      loss: 'connect-failed',
    });
  const hint = c.tls ? "it may have refused this receiver's TLS certificate" : 'a sender that requires TLS (--tls-ca) closes plain connections';
  return new ReceiveError(`the sender closed the connection before answering (${hint}): ${reason}`);
}
