/** `fountcast keygen` and `fountcast enroll`: the key files of signed publications and enrolled receivers. */
import type { Command } from 'commander';
import { logOptions } from './options.js';
import type { RunContext } from './runContext.js';

const keyFiles = () => import('../control/keyFiles.js');

export function registerKeygen(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('keygen')
      .description('create a publisher key pair (Ed25519): <out>.key (private, 0600; give it to send --sign) and <out>.pub (give it to receive --trust)')
      .requiredOption('--out <prefix>', 'path prefix of the two files, e.g. ./publisher')
      .option('--force', 'overwrite existing files'),
  ).action((o) =>
    ctx.logged(o, async (log) => {
      const k = await (await keyFiles()).keygen(o.out, Boolean(o.force));
      log.info({ event: 'keygen', ...k }, `publisher ${k.publisherId}: private key ${k.privatePath} (keep it secret), public key ${k.publicPath}`);
    }),
  );
}

export function registerEnroll(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('enroll')
      .description(
        'enroll a receiver: a fresh secret written once to <keys>/<name>.key (0600). The sender uses the directory as its allow-list (send --receiver-keys); copy the file to the receiver (receive --key). Delete it to revoke',
      )
      .requiredOption('--name <name>', "the receiver's name (1..64 of A-Z a-z 0-9 . _ -)")
      .requiredOption('--keys <dir>', "the sender's directory of enrolled receivers"),
  ).action((o) =>
    ctx.logged(o, async (log) => {
      const path = await (await keyFiles()).enroll(o.name, o.keys);
      log.info({ event: 'enroll', name: o.name, path }, `enrolled ${o.name}: ${path} (copy it to the receiver, keep it secret; delete it to revoke)`);
    }),
  );
}
