import { renderText, ladderModel } from '../src/ladder';
import { record } from './fixtures/ladder/events';
import { publishRetransmission, section3Records } from './fixtures/ladder/section3';

const ESC = '\x1b';
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const stripAnsi = (s: string) => s.replace(SGR, '');
const columns = (line: string) => Array.from(line).length;

/** UE → AP, recorded twice; AP → HSS MAR; HSS → AP MAA; AP → UE 401. */
const small = [
  record({ ts: 1000, from: ['ue', 50000], to: ['ap', 8443], summary: 'GET /services/x' }),
  record({ ts: 1000.3, from: ['ue', 50000], to: ['ap', 8443], summary: 'GET /services/x' }),
  record({
    ts: 1001.25,
    iface: 'Cx',
    from: ['ap', 40001],
    to: ['hss', 3868],
    summary: 'MAR user1_private@home1.net',
  }),
  record({ ts: 1003, iface: 'Cx', from: ['hss', 3868], to: ['ap', 40001], summary: 'MAA 2001' }),
  record({ ts: 1004, from: ['ap', 8443], to: ['ue', 50000], summary: '401 Unauthorized' }),
];

describe('renderText', () => {
  it('draws a small ladder exactly', () => {
    expect(renderText(small, { color: false, width: 60 }).split('\n')).toEqual([
      '            UE         AP        HSS        XCAP        PS',
      '            │          │          │          │          │',
      '+0.0 ms Ut  │ GET /services/x     │          │          │',
      '            │─────────►│          │          │          │',
      '+1.3 ms Cx  │          │ MAR user1_private@home1.net    │',
      '            │          │─────────►│          │          │',
      '+3.0 ms Cx  │          │ MAA 2001 │          │          │',
      '            │          │◄─────────│          │          │',
      '+4.0 ms Ut  │ 401 Unauthorized    │          │          │',
      '            │◄─────────│          │          │          │',
      '',
    ]);
  });

  it('leaves the time out when asked, and centres a label that fits between its lanes', () => {
    expect(renderText(small, { color: false, width: 60, time: false }).split('\n')).toEqual([
      '    UE           AP          HSS          XCAP          PS',
      '    │            │            │            │            │',
      'Ut  │ GET /services/x         │            │            │',
      '    │───────────►│            │            │            │',
      'Cx  │            │ MAR user1_private@home1.net          │',
      '    │            │───────────►│            │            │',
      'Cx  │            │  MAA 2001  │            │            │',
      '    │            │◄───────────│            │            │',
      'Ut  │ 401 Unauthorized        │            │            │',
      '    │◄───────────│            │            │            │',
      '',
    ]);
  });

  it('colours by interface only when asked, and the colours change no character', () => {
    const plain = renderText(small, { color: false, width: 60 });
    const coloured = renderText(small, { color: true, width: 60 });
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[36mGET /services/x${ESC}[0m`); // Ut in cyan
    expect(coloured).toContain(`${ESC}[33m─────────►${ESC}[0m`); // Cx in yellow
    expect(coloured).toContain(`${ESC}[1mUE${ESC}[0m`);
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('fits the section3 ladder in 100 columns, one arrow per message, long summaries cut with …', () => {
    const events = [...section3Records(), ...publishRetransmission()];
    const lines = renderText(events, { color: false }).trimEnd().split('\n');
    expect(Math.max(...lines.map(columns))).toBeLessThanOrEqual(100);
    expect(lines[0]!.trim().split(/\s+/)).toEqual(['UE', 'AP', 'HSS', 'XCAP', 'PS']);
    const arrows = lines.filter((l) => /[►◄]/.test(l));
    expect(arrows).toHaveLength(ladderModel(events).messages.length);
    expect(arrows).toHaveLength(14);
    expect(lines).toContain(
      '  +3.2 ms Cx  │                   │ MAR user1_private@home1.net sip:user1_public1@home1.net   │',
    );
    const forwarded = lines.find((l) => l.startsWith(' +16.2 ms AS') && l.includes('PUT'))!;
    expect(forwarded).toBe(
      ' +16.2 ms AS  │                   │ PUT /services/resource-lists/users/sip:user1_public1@home1.net/…',
    );
    expect(columns(forwarded)).toBe(100);
    // the UE's PUBLISH crosses the AP, HSS and XCAP lanes to the PS
    expect(lines).toContain(`              │${'─'.repeat(78)}►│`);
  });

  it('stays within narrower widths', () => {
    const events = [...section3Records(), ...publishRetransmission()];
    for (const width of [80, 72, 60]) {
      const lines = renderText(events, { color: true, width }).trimEnd().split('\n');
      expect(Math.max(...lines.map((l) => columns(stripAnsi(l))))).toBeLessThanOrEqual(width);
    }
  });

  it('shows control characters in a summary as escapes, not raw', () => {
    const text = renderText(
      [record({ ts: 0, from: ['ue', 1], to: ['ap', 2], summary: 'GET /a\x1b[2J\u202eb\r\nHost: x' })],
      { color: false },
    );
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\u202e');
    expect(text).toContain('GET /a\\x1b[2J\\u202eb Host: x');
  });

  it('draws a message a column sends to itself as a loop, and an unknown name as a column', () => {
    const lines = renderText(
      [record({ ts: 0, iface: 'Zh', from: ['bsf', 1], to: ['bsf', 2], summary: 'x' })],
      { color: false, width: 72, time: false },
    ).split('\n');
    expect(lines[0]).toBe('    UE           AP          HSS          XCAP          PS          bsf');
    expect(lines.slice(2, 5)).toEqual([
      'Zh  │            │            │            │            │            │ x',
      '    │            │            │            │            │            │─┐',
      '    │            │            │            │            │            │◄┘',
    ]);
    expect(Math.max(...lines.map(columns))).toBe(72);
  });
});
