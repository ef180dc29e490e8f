/**
 * How each command's --help reads: options grouped by task, then a few examples. The options
 * themselves are defined once, in each command's module; this file only sorts them, by long
 * flag, so the help (and anything generated from the definitions) cannot list one twice or
 * leave one out: an option no group names lands in "Other options" and a test catches it.
 */
import { Option, type Command } from 'commander';

type Groups = readonly (readonly [heading: string, flags: readonly string[]])[];

/** The output flags every command shares (runContext.ts adds them). */
const OUTPUT = ['Output:', ['--verbose', '--json', '--events', '--log-level', '--help']] as const;

const SEND: Groups = [
  ['Basics:', ['--name', '--symlinks', '--sha256', '--host', '--port', '--receivers', '--give-up-after', '--max-receivers']],
  [
    'Multicast and broadcast (one shared stream):',
    ['--multicast', '--broadcast', '--broadcast-address', '--interface', '--ttl', '--min-receivers', '--wait', '--carousel'],
  ],
  ['Push over SSH or a command:', ['--to', '--exec', '--ssh-command', '--remote-fountcast', '--anonymous']],
  ['Security:', ['--sign', '--receiver-keys', '--encrypt', '--tls-cert', '--tls-key', '--tls-ca']],
  ['Rate and recovery:', ['--rate', '--fixed-rate', '--stream-nice', '--recovery', '--codec', '--segment-size', '--symbol-size']],
  ['Timeouts:', ['--idle-timeout', '--heartbeat', '--handshake-timeout']],
  ['Testing and comparisons:', ['--no-combine-resends']],
  OUTPUT,
];

const RECEIVE: Groups = [
  ['Basics:', ['--out', '--id', '--interface', '--connect-timeout', '--on-complete', '--sha256']],
  ['Over SSH or a command (control on stdin/stdout):', ['--stdio', '--address']],
  ['Security:', ['--trust', '--trust-state', '--source', '--key', '--tls-ca', '--tls-cert', '--tls-key', '--tls-servername']],
  ['The old copy and trees:', ['--no-clobber', '--backup', '--atomic-tree', '--sync']],
  ['Unattended machines:', ['--wait-for-sender', '--daemon', '--poll-interval', '--daemon-state']],
  ['Memory and CPU:', ['--window', '--decode-workers']],
  ['Testing:', ['--simulate-loss', '--seed']],
  OUTPUT,
];

const RELAY: Groups = [
  ['Basics:', ['--host', '--port', '--receivers', '--wait-for-upstream']],
  ['Multicast and broadcast (one shared stream):', ['--multicast', '--broadcast', '--broadcast-address', '--interface']],
  ['Cache and forwarding:', ['--cache', '--cache-size', '--store-and-forward']],
  ['Security:', ['--trust', '--trust-state', '--source']],
  OUTPUT,
];

const EXPERIMENT: Groups = [
  ['What to compare:', ['--config', '--schemes', '--size', '--symbol-size', '--segment-size', '--receivers', '--trials', '--seed', '--jobs', '--out']],
  ['Loss and the network:', ['--loss', '--burst', '--loss-spread', '--reorder', '--duplicate', '--rate', '--real', '--kernel-loss']],
  ['Codes and decoding:', ['--decode', '--lt-c', '--lt-delta']],
  ['Checking the harness:', ['--validate']],
  OUTPUT,
];

const DEMO: Groups = [['Basics:', ['--size', '--receivers', '--rate']], ['Testing:', ['--loss', '--seed']], OUTPUT];
const KEYGEN: Groups = [['Basics:', ['--out', '--force']], OUTPUT];
const ENROLL: Groups = [['Basics:', ['--name', '--keys']], OUTPUT];
const DIGEST: Groups = [['Basics:', ['--segment-size', '--sha256']], OUTPUT];
const BUNDLE: Groups = [
  ['Basics:', ['--name', '--keys', '--out', '--rotate']],
  ['What the receiver is given:', ['--trust', '--sender', '--out-default']],
  OUTPUT,
];
const ENROLL_SERVER: Groups = [
  ['Basics:', ['--host', '--port', '--keys', '--token-file']],
  ['What each bundle is given:', ['--trust', '--sender', '--out-default']],
  OUTPUT,
];

/** Each command's groups (a test checks every command has them, each option in one). */
export const HELP_GROUPS: Readonly<Record<string, Groups>> = {
  send: SEND,
  receive: RECEIVE,
  relay: RELAY,
  experiment: EXPERIMENT,
  demo: DEMO,
  keygen: KEYGEN,
  enroll: ENROLL,
  digest: DIGEST,
  bundle: BUNDLE,
  'enroll-server': ENROLL_SERVER,
};

/** 2–4 examples per command, shown after its options. */
export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  send: [
    'fountcast send image.iso --receivers 1                                  # one peer, exit once it has the file',
    'fountcast send release/ --multicast 239.255.42.1:7071 --receivers 40    # a tree to a whole LAN, one stream',
    "fountcast send image.iso --to 'ssh://admin@lab-pc-{01..40}/srv/images/' --multicast 239.255.42.1:7071",
    'tar c dir | fountcast send - --name dir.tar --sign publisher.key        # a pipe, signed',
  ],
  receive: [
    'fountcast receive sender-host:7070 --out ./downloads/',
    'fountcast receive sender-host:7070 --out /srv/app/ --trust publisher.pub --sync --on-complete ./restart.sh',
    'fountcast receive sender-host:7070 --out /srv/app/ --trust publisher.pub --daemon',
    'fountcast receive sender-host:7070 --out - | tar x                       # verified bytes, in order',
  ],
  relay: [
    'fountcast relay hq:7070 --port 7070 --multicast 239.255.42.1:7071 --interface eth1   # one per subnet or site',
    'fountcast relay relay-b:7070 --port 7070 --cache /var/cache/fountcast --cache-size 20G   # relays chain',
  ],
  keygen: [
    'fountcast keygen --out publisher.key            # writes publisher.key and publisher.pub',
    'fountcast keygen --out publisher.key --force    # a new key in place of the old one',
  ],
  digest: [
    "fountcast digest /srv/images/disk.img           # compare with the receiver summary's digest (FOUNTCAST_DIGEST)",
    'fountcast digest --segment-size 4M disk.img     # a sender that ran with --segment-size 4M',
  ],
  enroll: [
    'fountcast enroll --name lab-pc-17 --keys ./receivers/   # then copy receivers/lab-pc-17.key to that machine',
    'for h in lab-pc-{01..40}; do fountcast enroll --name $h --keys ./receivers/; done',
  ],
  bundle: [
    'fountcast bundle --name lab-pc-17 --keys ./receivers/ --trust publisher.pub --sender 10.0.0.1:7070 --out fountcast-lab-pc-17',
    'fountcast bundle --name lab-pc-17 --keys ./receivers/ --trust publisher.pub --out fountcast-lab-pc-17 --rotate   # a new key',
  ],
  'enroll-server': [
    'fountcast enroll-server --port 8080 --keys ./receivers/ --token-file tokens.txt --trust publisher.pub --sender 10.0.0.1:7070',
    "curl -fo fountcast-kiosk-3 'http://10.0.0.1:8080/bundle/kiosk-3?token=…' && chmod +x fountcast-kiosk-3   # on the new machine",
  ],
  demo: ['fountcast demo', 'fountcast demo --size 256M --receivers 4 --loss 0.05'],
  experiment: [
    'fountcast experiment --schemes raptorq,rs,arq --loss 0,0.05,0.2 --receivers 1,10,100 --out results/',
    'fountcast experiment --schemes raptorq,arq-combined --burst gilbert:0.01,0.25 --decode model --receivers 1000',
    'fountcast experiment --validate                                          # the harness against closed forms',
  ],
};

/** Sorts each command's options into its groups and appends its examples. */
export function layOutHelp(program: Command): void {
  for (const command of program.commands) {
    const groups = HELP_GROUPS[command.name()];
    if (groups) {
      const headingOf = new Map<string, string>();
      for (const [heading, flags] of groups) for (const flag of flags) headingOf.set(flag, heading);
      for (const option of command.options) option.helpGroup(headingOf.get(option.long ?? '') ?? 'Other options:');
      // commander shows groups in the order their options were defined: sort them by task instead.
      const rank = (heading: string | undefined) => {
        const i = groups.findIndex(([h]) => h === heading);
        return i < 0 ? groups.length : i;
      };
      (command.options as Option[]).sort((x, y) => rank(x.helpGroupHeading) - rank(y.helpGroupHeading));
      // --help is commander's own option, kept apart from the others: it joins the output group.
      command.addHelpOption(new Option('-h, --help', 'display help for command').helpGroup(OUTPUT[0]));
    }
    const examples = HELP_EXAMPLES[command.name()];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
}
