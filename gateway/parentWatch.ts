/**
 * Exits when the client that started us is gone, so no orphan keeps a socket or a serial port
 * open after the editor dies.
 */
export function watchParentProcess(pid: number, onGone: () => void, everyMs = 2000): void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      // EPERM means it exists but belongs to someone else: still alive.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') {
        clearInterval(timer);
        onGone();
      }
    }
  }, everyMs);
  timer.unref();
}
