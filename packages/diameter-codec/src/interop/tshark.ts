/**
 * tshark (Debian's, Wireshark 4.0) with Wireshark's own data plus the IMPU-List AVP of this package
 * (`wireshark/ut-testbed.xml`), for tests that read a capture with the dissectors nobody here wrote: a copy
 * of /usr/share/wireshark with the fragment appended to diameter/Custom.xml. tshark ignores
 * WIRESHARK_DATA_DIR when run as root (wireshark(1)), so as root it runs as nobody (setpriv), which is why
 * `dir` is made readable by everyone.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Wireshark dictionary fragment that names the IMPU-List AVP. */
export const WIRESHARK_FRAGMENT = join(__dirname, '..', '..', 'wireshark', 'ut-testbed.xml');

/** The tshark binary (env UT_TESTBED_TSHARK, default `tshark` on the PATH). */
export const TSHARK = process.env.UT_TESTBED_TSHARK ?? 'tshark';

/**
 * Prepares the Wireshark data under `dir` (a directory of the caller's, removed by it) and returns a
 * function that runs tshark with it and returns its stdout (an exit other than 0 throws).
 */
export function tsharkWithDictionary(dir: string): (args: string[]) => string {
  const data = join(dir, 'wireshark');
  cpSync('/usr/share/wireshark', data, { recursive: true });
  const fragment = readFileSync(WIRESHARK_FRAGMENT, 'utf8')
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  appendFileSync(join(data, 'diameter', 'Custom.xml'), fragment);
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(home, 0o777);
  const root = process.getuid?.() === 0;
  const env = { ...process.env, WIRESHARK_DATA_DIR: data, HOME: home, XDG_CONFIG_HOME: home };
  return (args) =>
    execFileSync(
      root ? 'setpriv' : TSHARK,
      [...(root ? ['--reuid=65534', '--regid=65534', '--clear-groups', TSHARK] : []), ...args],
      { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
}
