import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../cli/options.js';

describe('parseEndpoint', () => {
  it.each([
    ['sender.lan:7070', 'sender.lan', 7070],
    ['10.0.0.5:7070', '10.0.0.5', 7070],
    ['[::1]:7070', '::1', 7070],
    ['[fe80::1%eth0]:7070', 'fe80::1%eth0', 7070],
    ['[ff02::114]:7071', 'ff02::114', 7071],
    // Without brackets the last :N is the port.
    ['ff02::114:7071', 'ff02::114', 7071],
    ['::1:7070', '::1', 7070],
    ['fe80::1%eth0:7070', 'fe80::1%eth0', 7070],
    ['ff05::1:3:17093', 'ff05::1:3', 17093],
  ])('%s', (text, host, port) => {
    expect(parseEndpoint(text)).toEqual({ host, port });
  });

  it.each([
    ['sender.lan', /expected HOST:PORT or \[IPv6\]:PORT/],
    [':7070', /expected HOST:PORT/],
    ['[sender.lan]:7070', /not an IPv6 address/],
    ['[10.0.0.1]:7070', /not an IPv6 address/],
    ['1:2:7070', /"1:2" in "1:2:7070" is not an IPv6 address/],
    ['10.0.0.5:0', /port must be 1..65535, not 0/],
    ['[::1]:70000', /port must be 1..65535/],
  ])('refuses %s', (text, why) => {
    expect(() => parseEndpoint(text)).toThrow(why);
  });
});
