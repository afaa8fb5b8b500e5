/** One line per message for trace events, e.g. `MAR user1_private@home1.net sip:user1_public1@home1.net`. */
import { FLAG_ERROR, FLAG_REQUEST } from './codec/header';
import type { DiameterMessage } from './codec/message';
import { defaultDictionary, type Dictionary } from './dictionary';
import { getGroup, getNumber, getString } from './builders/avp';

/** `MAR`, `MAA`, `CER` ...; `cmd-999-R` for a command the dictionary lacks. */
export function commandAbbrev(m: DiameterMessage, dict: Dictionary = defaultDictionary): string {
  const c = dict.command(m.commandCode, m.applicationId);
  const request = (m.flags & FLAG_REQUEST) !== 0;
  if (!c) return `cmd-${m.commandCode}-${request ? 'R' : 'A'}`;
  return request ? c.requestAbbrev : c.answerAbbrev;
}

/** The result of an answer: `2001`, or `10415:5001` for an Experimental-Result, undefined when neither. */
export function resultText(m: DiameterMessage, dict: Dictionary = defaultDictionary): string | undefined {
  const rc = getNumber(m.avps, 'Result-Code', dict);
  if (rc !== undefined) return String(rc);
  const er = getGroup(m.avps, 'Experimental-Result', dict);
  const code = getNumber(er, 'Experimental-Result-Code', dict);
  if (code === undefined) return undefined;
  return `${getNumber(er, 'Vendor-Id', dict) ?? 0}:${code}`;
}

export function summarize(m: DiameterMessage, dict: Dictionary = defaultDictionary): string {
  const words: string[] = [commandAbbrev(m, dict)];
  const request = (m.flags & FLAG_REQUEST) !== 0;
  const s = (name: string) => getString(m.avps, name, dict);
  if (!request) {
    words.push(resultText(m, dict) ?? 'no-result');
    if (m.flags & FLAG_ERROR) words.push('(E)');
  }
  switch (m.commandCode) {
    case 257:
    case 280:
      words.push(s('Origin-Host') ?? '');
      break;
    case 282: {
      if (request) {
        const cause = getNumber(m.avps, 'Disconnect-Cause', dict);
        const name = cause === undefined ? undefined : dict.named('Disconnect-Cause').values?.[cause];
        words.push(name ?? String(cause ?? ''));
      }
      words.push(s('Origin-Host') ?? '');
      break;
    }
    case 306: {
      const id = getString(getGroup(m.avps, 'User-Identity', dict), 'Public-Identity', dict);
      if (id) words.push(id);
      break;
    }
    default:
      words.push(s('User-Name') ?? '');
      if (request) words.push(s('Public-Identity') ?? '');
  }
  return words.filter((w) => w !== '').join(' ');
}
