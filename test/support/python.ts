import { spawn } from 'node:child_process';

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `python3 <args>` from the repository root (the Python examples and client checks). */
export function runPython(args: string[]): Promise<PythonRun> {
  return new Promise((resolve) => {
    const child = spawn('python3', args, { cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
