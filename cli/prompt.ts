import type { Io } from './command.js';

// Asks the operator one question on the terminal. A secret answer is not echoed at all (not even
// as asterisks, which would tell its length to someone watching the screen).

export function askOnTerminal(io: Io, prompt: string, secret: boolean): Promise<Buffer> {
  const stdin = io.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    io.stderr.write(`${prompt}${prompt.endsWith(' ') ? '' : ' '}`);
    const chunks: number[] = [];
    const wasRaw = Boolean(stdin.isRaw);
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    const finish = (err?: Error): void => {
      stdin.off('data', onData);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(chunks));
    };
    const onData = (data: Buffer): void => {
      for (const byte of data) {
        if (byte === 0x0d || byte === 0x0a) return finish();
        if (byte === 0x03) return finish(new Error('the operator interrupted the question'));
        if (byte === 0x7f || byte === 0x08) {
          if (chunks.length > 0) {
            chunks.pop();
            if (!secret) io.stderr.write('\b \b');
          }
          continue;
        }
        chunks.push(byte);
        if (!secret) io.stderr.write(Buffer.from([byte]));
      }
    };
    stdin.on('data', onData);
  });
}
