// `sealed-bff keys --plan FILE | --schedule FILE | --export FILE`: scheduled
// rotation of a key file (src/key-plan.ts). --plan writes FILE in place
// (mode 0600, atomically) with a successor for every key in effect and prints
// the schedule; reload the BFF (SIGHUP) so that it publishes the successors.
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { describeSchedule, planRotation, publicSetAt } from '../key-plan.js';
import { importKeySet } from '../keys.js';

const DAY = 86_400;

export interface ScheduleArgs {
  plan?: string;
  schedule?: string;
  export?: string;
  lead?: string;
  overlap?: string;
}

export async function runKeySchedule(args: ScheduleArgs, fail: (message: string) => never): Promise<void> {
  const file = args.plan ?? args.schedule ?? args.export!;
  let jwks: { keys: [] };
  try {
    jwks = JSON.parse(readFileSync(file, 'utf8')) as { keys: [] };
  } catch (err) {
    fail(`cannot read ${file} as JSON (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
  }
  const now = Math.floor(Date.now() / 1000);
  const days = (name: 'lead' | 'overlap', fallback: number) => {
    const value = Number(args[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0 || value > 365) fail(`--${name} must be a number of days from 0 to 365`);
    return value * DAY;
  };
  try {
    if (args.plan !== undefined) {
      const plan = await planRotation(jwks, { now, leadSeconds: days('lead', 14), overlapSeconds: days('overlap', 1) });
      if (plan.rotated.length === 0) fail('every key in effect already has an exp: a rotation is planned already');
      writeFileSync(`${file}.tmp`, `${JSON.stringify(plan.privateJwks, null, 2)}\n`, { mode: 0o600 });
      chmodSync(`${file}.tmp`, 0o600);
      renameSync(`${file}.tmp`, file);
      for (const r of plan.rotated) {
        process.stderr.write(`${r.from} -> ${r.to}: the successor is in effect from ${iso(r.nbf)}, ${r.from} expires ${iso(r.exp)}\n`);
      }
      process.stderr.write(`Wrote ${file}. Reload the BFF (SIGHUP) or restart it now, so that it publishes the successors.\n`);
    }
    const set = await importKeySet(JSON.parse(readFileSync(file, 'utf8')));
    if (args.export !== undefined) {
      process.stdout.write(`${JSON.stringify(publicSetAt(set, now), null, 2)}\n`);
      return;
    }
    process.stdout.write(`${describeSchedule(set, now).join('\n')}\n`);
  } catch (err) {
    fail((err as Error).message);
  }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
