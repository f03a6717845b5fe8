/**
 * Interrupts: the first signal stops the current stage of reading, a fresh
 * stage follows an interrupted one, and a signal while stopping (or once the
 * outputs are being written) ends at once; exit codes are 128 + the signal.
 */
import { describe, expect, it } from 'vitest';
import { Interrupts, signalExitCode } from './interrupts.js';

describe('Interrupts', () => {
  it('exit codes as a shell reports them', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGHUP')).toBe(129);
  });

  it("the first signal aborts the stage; another while stopping forces, with the first signal's code", () => {
    const log: string[] = [];
    const intr = new Interrupts({ onStop: (s) => log.push(`stop ${s}`), onForce: (code, s) => log.push(`force ${code} ${s}`) });
    const stage = intr.stage();
    expect(stage.aborted).toBe(false);
    expect(intr.exitCode).toBe(0);
    intr.handle('SIGTERM');
    expect(stage.aborted).toBe(true);
    expect(stage.reason).toBe('SIGTERM');
    intr.handle('SIGINT');
    expect(log).toEqual(['stop SIGTERM', 'force 143 SIGINT']);
    expect(intr.exitCode).toBe(143);
  });

  it('after an interrupted stage a fresh one begins; once final, any signal forces', () => {
    const log: string[] = [];
    const intr = new Interrupts({ onStop: (s) => log.push(`stop ${s}`), onForce: (code) => log.push(`force ${code}`) });
    const copying = intr.stage();
    intr.handle('SIGINT');
    const replaying = intr.stage();
    expect(copying.aborted).toBe(true);
    expect(replaying.aborted).toBe(false);
    expect(intr.stage()).toBe(replaying);
    intr.handle('SIGHUP');
    expect(replaying.aborted).toBe(true);
    const writing = new Interrupts({ onStop: () => log.push('no'), onForce: (code) => log.push(`final ${code}`) });
    writing.finalStage();
    writing.handle('SIGHUP');
    expect(log).toEqual(['stop SIGINT', 'stop SIGHUP', 'final 129']);
  });

  it('install and uninstall leave no handler behind', () => {
    const before = process.listenerCount('SIGINT');
    const intr = new Interrupts({ onStop: () => undefined, onForce: () => undefined });
    intr.install();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    intr.uninstall();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
