import { describe, expect, it } from 'vitest';
import { unicastAddressProblem } from '../../control/wireValues.js';

describe('unicastAddressProblem (Hello.address)', () => {
  it.each(['127.0.0.1', '10.0.0.7', '192.168.255.254', '::1', '2001:db8::1', 'fe80::1', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', '1::', '::2:3:4:5:6:7:8'])(
    'takes %s',
    (a) => expect(unicastAddressProblem(a)).toBeUndefined(),
  );
  it.each(['0.0.0.0', '239.1.1.1', '224.0.0.1', '255.255.255.255', '::', '0:0:0:0:0:0:0:0', 'ff02::1', 'FF05::114'])('refuses %s: not unicast', (a) =>
    expect(unicastAddressProblem(a)).toBe('is not a unicast address'),
  );
  it.each([
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'abcde::1',
    'host.example',
    '',
    '1:2:3:4:5:6:7',
    '1.2.3.4::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
  ])('refuses %s: not an address', (a) => expect(unicastAddressProblem(a)).toBe('is not an IPv4 or IPv6 address'));
});
