import { escapeMermaid, renderMermaid } from '../src/ladder';
import { record } from './fixtures/ladder/events';
import { SECTION3_SUMMARIES, section3Records } from './fixtures/ladder/section3';

describe('renderMermaid', () => {
  it('writes a small ladder exactly', () => {
    const text = renderMermaid([
      record({ ts: 0, from: ['ue', 50000], to: ['ap', 8443], summary: 'GET /services/x' }),
      record({ ts: 0.2, from: ['ue', 50000], to: ['ap', 8443], summary: 'GET /services/x' }),
      record({ ts: 1, iface: 'Cx', from: ['ap', 40001], to: ['hss', 3868], summary: 'MAA 2001' }),
      record({ ts: 2, from: ['ap', 8443], to: ['ue', 50000], summary: '401 Unauthorized' }),
    ]);
    expect(text).toBe(
      [
        'sequenceDiagram',
        '    participant UE',
        '    participant AP',
        '    participant HSS',
        '    participant XCAP',
        '    participant PS',
        '    UE->>AP: GET /services/x',
        '    AP->>HSS: MAA 2001',
        '    AP->>UE: 401 Unauthorized',
        '',
      ].join('\n'),
    );
  });

  it('writes one message line per merged message of the section3 trace', () => {
    const lines = renderMermaid(section3Records()).trimEnd().split('\n');
    const messages = lines.filter((l) => l.includes('->>'));
    expect(messages).toHaveLength(10);
    expect(messages[0]).toBe(
      '    UE->>AP: PUT /services/resource-lists/users/sip#58;user1_public1@home1.net/index',
    );
    expect(messages[3]).toBe('    AP->>HSS: MAR user1_private@home1.net sip#58;user1_public1@home1.net');
    expect(messages.map((l) => l.replace(/^ {4}\w+->>\w+: /, '').replace(/#58;/g, ':'))).toEqual(
      SECTION3_SUMMARIES,
    );
  });

  it('escapes the characters the sequence grammar gives a meaning', () => {
    expect(escapeMermaid('a;b #c: "d" 50%% <br/> & e')).toBe(
      'a#59;b #35;c#58; #quot;d#quot; 50#37;#37; #lt;br/#gt; #amp; e',
    );
    const text = renderMermaid([
      record({ ts: 0, from: ['ue', 1], to: ['ap', 2], summary: 'wrap: 403 "Forbidden"; see #4' }),
    ]);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '    UE->>AP: wrap#58; 403 #quot;Forbidden#quot;#59; see #35;4',
    );
  });

  it('keeps a summary with line breaks to one statement', () => {
    const text = renderMermaid([
      record({ ts: 0, from: ['ue', 1], to: ['ap', 2], summary: 'GET /a\nAP->>UE: 200' }),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('->>'))).toEqual(['    UE->>AP: GET /a AP-#gt;#gt;UE#58; 200']);
  });

  it('gives columns that are not safe ids an alias', () => {
    const text = renderMermaid([
      record({ ts: 0, iface: 'Zh', from: ['bsf.home1.net', 1], to: ['hss', 3868], summary: 'MAR' }),
      record({ ts: 1, iface: 'ISC', from: ['peer', 5070], to: ['ps', 5060], summary: 'NOTIFY' }),
      record({ ts: 2, iface: 'AS', from: ['ap', 3], to: ['end', 4], summary: 'GET' }),
      record({ ts: 3, iface: 'AS', from: ['ap', 3], to: ['options', 5], summary: 'GET' }),
      record({ ts: 4, iface: 'AS', from: ['ap', 3], to: ['c7', 6], summary: 'GET' }),
      record({ ts: 5, iface: 'AS', from: ['ap', 3], to: ['rs#1;x', 7], summary: 'GET' }),
    ]);
    expect(text.split('\n').filter((l) => l.startsWith('    participant'))).toEqual([
      '    participant UE',
      '    participant AP',
      '    participant HSS',
      '    participant XCAP',
      '    participant PS',
      '    participant c6 as bsf.home1.net',
      '    participant c8 as S-CSCF',
      '    participant c9 as end',
      '    participant c10 as options',
      '    participant c7',
      '    participant c11 as rs#35;1#59;x',
    ]);
    expect(text).toContain('    c6->>HSS: MAR\n');
    expect(text).toContain('    c8->>PS: NOTIFY\n');
    expect(text).toContain('    AP->>c9: GET\n');
    expect(text).toContain('    AP->>c7: GET\n');
  });

  it('writes a label for a message without a summary', () => {
    const text = renderMermaid([record({ ts: 0, iface: 'Gm', from: ['ue', 1], to: ['ps', 2], summary: '' })]);
    expect(text).toContain('    UE->>PS: (sip message)\n');
  });
});
