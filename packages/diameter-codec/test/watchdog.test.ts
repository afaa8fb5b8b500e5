import { ManualTimers } from '../src/peer/timers';
import { Watchdog, type WatchdogState } from '../src/peer/watchdog';

function setup(o: { reopenDwas?: number } = {}) {
  const timers = new ManualTimers();
  const log: string[] = [];
  const states: WatchdogState[] = [];
  const w = new Watchdog({
    tw: 6000,
    jitter: 2000,
    timers,
    random: () => 0.5, // no jitter: the timer is exactly Tw
    sendWatchdog: () => log.push('DWR'),
    closeConnection: () => log.push('close'),
    onState: (s) => states.push(s),
    ...o,
  });
  return { timers, log, states, w };
}

describe('RFC 3539 watchdog', () => {
  it('sends a DWR after Tw of silence, and stays OKAY when the DWA comes', () => {
    const { timers, log, w } = setup();
    w.connectionUp(false);
    expect(w.state).toBe('OKAY');
    timers.advance(5999);
    expect(log).toEqual([]);
    timers.advance(1);
    expect(log).toEqual(['DWR']);
    w.received(true);
    timers.advance(6000);
    expect(log).toEqual(['DWR', 'DWR']);
    expect(w.state).toBe('OKAY');
  });

  it('traffic from the peer postpones the DWR', () => {
    const { timers, log, w } = setup();
    w.connectionUp(false);
    for (let i = 0; i < 5; i++) {
      timers.advance(5000);
      w.received(false);
    }
    expect(log).toEqual([]);
  });

  it('no answer: SUSPECT after 2 Tw, DOWN and close after 3 Tw', () => {
    const { timers, log, states, w } = setup();
    w.connectionUp(false);
    timers.advance(6000);
    expect(w.state).toBe('OKAY');
    timers.advance(6000);
    expect(w.state).toBe('SUSPECT');
    timers.advance(6000);
    expect(w.state).toBe('DOWN');
    expect(log).toEqual(['DWR', 'close']);
    expect(states).toEqual(['OKAY', 'SUSPECT', 'DOWN']);
    expect(timers.size).toBe(0);
  });

  it('any message in SUSPECT brings the peer back to OKAY', () => {
    const { timers, w } = setup();
    w.connectionUp(false);
    timers.advance(12000);
    expect(w.state).toBe('SUSPECT');
    w.received(false);
    expect(w.state).toBe('OKAY');
  });

  it('a reopened connection needs three DWAs before it is OKAY', () => {
    const { timers, log, w } = setup();
    w.connectionUp(true);
    expect(w.state).toBe('REOPEN');
    expect(log).toEqual(['DWR']);
    w.received(true);
    timers.advance(6000);
    w.received(true);
    expect(w.state).toBe('REOPEN');
    timers.advance(6000);
    w.received(true);
    expect(w.state).toBe('OKAY');
    expect(log).toEqual(['DWR', 'DWR', 'DWR']);
  });

  it('a reopened connection that misses two watchdogs is closed', () => {
    const { timers, log, w } = setup();
    w.connectionUp(true);
    timers.advance(6000); // pending, NumDWA 0 -> -1
    expect(w.state).toBe('REOPEN');
    timers.advance(6000); // still pending and NumDWA < 0 -> DOWN
    expect(w.state).toBe('DOWN');
    expect(log).toEqual(['DWR', 'close']);
  });

  it('jitter keeps the timer within Tw +- jitter', () => {
    for (const r of [0, 0.999]) {
      const timers = new ManualTimers();
      const sent: number[] = [];
      const w = new Watchdog({
        tw: 6000,
        jitter: 2000,
        timers,
        random: () => r,
        sendWatchdog: () => sent.push(timers.now()),
        closeConnection: () => undefined,
      });
      w.connectionUp(false);
      timers.advance(9000);
      expect(sent[0]).toBeGreaterThanOrEqual(4000);
      expect(sent[0]).toBeLessThanOrEqual(8000);
    }
  });

  it('stop() cancels the timer', () => {
    const { timers, log, w } = setup();
    w.connectionUp(false);
    w.stop();
    timers.advance(60000);
    expect(log).toEqual([]);
    expect(w.state).toBe('DOWN');
  });
});
