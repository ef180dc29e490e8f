/**
 * Open vs MAC vs encrypted transfers end to end (`npm run bench -- --security-only`), on the
 * end-to-end benchmark's transfer (bench/e2e.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gcmImplementation, macImplementation } from '../encoder/integrity.js';
import { makeFile, runTransfer, sha256, type E2EResult, type SecurityMode } from './e2e.js';

export interface SecurityBenchResult {
  /** open, mac, encrypt, or encrypt-node-crypto (encrypted with the native module turned off). */
  mode: string;
  /** MAC and encrypted modes: the implementation(s) the sender and receiver processes ran. */
  implementation?: string;
  /** Sender rate ceiling, bits/s (undefined: the default 1 Gbit/s; 0: none). */
  rateBits?: number;
  goodputMBps: number;
  goodputRunsMBps: number[];
  vsOpen: number;
  senderCpuSeconds: number;
  receiverCpuSeconds: number;
  allIdentical: boolean;
}

/**
 * Open vs MAC vs encrypted goodput, one receiver, lossless, `repeat` rounds of the modes
 * interleaved (so drift on a shared machine hits all alike); medians compared. Where the native
 * crypto module is in use, MAC and encrypted modes also run without it (FOUNTCAST_NATIVE=0 in
 * both processes): the node:crypto baselines, in the same run.
 */
export async function runSecurityBench(opts: { sizeMiB?: number; repeat?: number; rateBits?: number } = {}): Promise<SecurityBenchResult[]> {
  const sizeMiB = opts.sizeMiB ?? 256;
  const repeat = opts.repeat ?? 3;
  const dir = await mkdtemp('/dev/shm/fountcast-bench-');
  try {
    const file = await makeFile(dir, sizeMiB);
    const sourceHash = await sha256(file);
    const keysDir = join(dir, 'receivers');
    const { enroll } = await import('../control/keyFiles.js');
    const keyFiles = [await enroll('bench-rx', keysDir)];
    const nodeCrypto = { FOUNTCAST_NATIVE: '0' };
    const variants: { mode: string; security: SecurityMode; env?: NodeJS.ProcessEnv }[] = [
      { mode: 'open', security: 'open' },
      { mode: 'mac', security: 'mac' },
      ...(macImplementation().implementation === 'native' ? [{ mode: 'mac-node-crypto', security: 'mac' as const, env: nodeCrypto }] : []),
      { mode: 'encrypt', security: 'encrypt' },
      ...(gcmImplementation().implementation === 'native' ? [{ mode: 'encrypt-node-crypto', security: 'encrypt' as const, env: nodeCrypto }] : []),
    ];
    const modes = variants.map((v) => v.mode);
    const runs = new Map<string, E2EResult[]>(modes.map((m) => [m, []]));
    for (let i = 0; i < repeat; i++) {
      for (const v of variants) {
        runs.get(v.mode)!.push(
          await runTransfer(file, dir, sizeMiB, 1, 0, sourceHash, 'auto', {
            security: { mode: v.security, keysDir, keyFiles },
            rateBits: opts.rateBits,
            env: v.env,
          }),
        );
      }
    }
    const median = (rs: E2EResult[]) => [...rs].sort((a, b) => a.goodputMBps - b.goodputMBps)[Math.floor((rs.length - 1) / 2)]!;
    const open = median(runs.get('open')!).goodputMBps;
    return variants.map(({ mode, security }) => {
      const rs = runs.get(mode)!;
      const m = median(rs);
      const implementation = security === 'open' ? undefined : [...new Set(rs.flatMap((x) => x.crypto.map((c) => c[security] ?? '?')))].join('+');
      const r: SecurityBenchResult = {
        mode,
        implementation,
        rateBits: opts.rateBits,
        goodputMBps: m.goodputMBps,
        goodputRunsMBps: rs.map((x) => x.goodputMBps),
        vsOpen: m.goodputMBps / open,
        senderCpuSeconds: m.senderCpuSeconds,
        receiverCpuSeconds: m.receiverCpuSeconds[0]!,
        allIdentical: rs.every((x) => x.allIdentical),
      };
      console.log(
        `bench=security mode=${mode}${implementation ? ` crypto=${implementation}` : ''} size_mib=${sizeMiB} rate=${opts.rateBits === undefined ? 'default' : opts.rateBits} runs=${rs.length} goodput_mb_per_s=${m.goodputMBps.toFixed(1)} vs_open=${r.vsOpen.toFixed(2)} ` +
          `runs_mb_per_s=${rs.map((x) => x.goodputMBps.toFixed(1)).join('/')} sender_cpu_s=${m.senderCpuSeconds.toFixed(2)} receiver_cpu_s=${r.receiverCpuSeconds.toFixed(2)} identical=${r.allIdentical}`,
      );
      return r;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
