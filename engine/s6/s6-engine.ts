import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AccountError, checkAccount } from '../accounts.js';
import { servicePathProblems } from '../safe-names.js';
import { canonicalJson } from '../../lang/compile/canonical-json.js';
import type { CompiledLongrun, CompiledOneshot, CompiledService } from '../../lang/compile/compiled-db.js';
import { liveLayout } from '../../state/live-layout.js';
import { checkLiveDir, checkPathTo, LiveDirTrustError } from '../../state/live-trust.js';
import { atomicWriteFileSync } from '../../state/atomic-write.js';
import { EngineError, EngineNotRunningError, type AccountRef, type CutOffRun, type Engine, type OneshotRunOptions, type OneshotRunResult, type ServiceLog, type ServiceStatus, type TransitionOptions } from '../engine.js';
import { askRunner, RUNNER_DIR, runnerEntryName, runnerSocket, writeRunnerDir } from './oneshot-runner.js';
import { s6Log } from './s6-log-source.js';
import { capacityOf, findScanner, sizedMaxServices, type Capacity } from './capacity.js';
import { fifoHasReader, pollUntil, scannerRunning, sleep, startScanner, stopScanner } from './scanner.js';
import { dropPipe, ensurePipe, FDHOLDER_DIR, fdholderEntryName, readPipelines, renamePipe, writeFdholderDir, writePipelines } from './fdholder.js';
import { pipelinesOf, scriptWord, writeServiceDir } from './service-dir.js';
import { decodeSvStatus, DEFAULT_TAI_OFFSET, parseSvStat, runStateOf, SVSTAT_FIELDS, taiOffsetOf, type SvStat } from './s6-status.js';
import { runTool, svcSignalFlag, SVC_SIGNALS } from './s6-tools.js';
import { sendControl, svscanControl, transition } from './supervise-control.js';
import type { FormatVersion } from '../../lang/format-version.js';

// The s6 engine. Layout of its area in the live directory (<live>/engine/):
//   s6.json          scan directory, and the pid of s6-svscan when rcform started it
//   scan/            the scan directory, unless the operator gave --scandir
//   sv/<id>/         one service directory per longrun, <id> = name at install + random suffix
//   logs/<id>/       its logger's directory (s6-log: current + rotated files)
//   logs/<name>/     a oneshot's output, through s6-log as a longrun's (the runner's s6-log t)
//   oneshots.json    which oneshots are up
//   oneshot-runner/  the service that runs oneshots under s6-svscan (oneshot-runner.ts), linked
//                    into the scan directory as rcform@oneshots-<hash> once a oneshot has run
//   fdholder/        the s6-fdholder-daemon service holding the pipelines' pipes (fdholder.ts),
//                    linked into the scan directory as rcform@fdholder-<hash> while any pipeline is installed
//
// Naming, and why a rename restarts nothing: the scan directory holds one symlink per longrun,
// named after the service and pointing at sv/<id>. That symlink IS the name → directory index.
// s6-svscan identifies a service by the device and inode of the directory it resolves to, not
// by the entry's name, so renaming the symlink (rename(2), atomic) and rescanning leaves the same
// s6-supervise, and the same process, in place. The directory keeps the id it was installed with.

const CONFIG_FILE = 's6.json';
const DEFINITION_FILE = 'rcform.json';
/** How long s6-svscan may take to spawn, or reap, one s6-supervise. Generous: machines here are shared. */
const SUPERVISOR_WAIT_MS = 30000;
/** The least time between two rescans of the scan directory (see S6Engine.rescan). */
const RESCAN_INTERVAL_MS = 25;

/** s6.json's version. Nothing reads it back yet: a file of another version is still read as this one. */
const S6_FILE_FORMAT_VERSION = '1' satisfies FormatVersion;

interface S6EngineFile {
  format_version: typeof S6_FILE_FORMAT_VERSION | number;
  scandir: string;
  /** Set when rcform started s6-svscan itself; it then stops it on shutdown. */
  svscan_pid?: number;
  /** The -c rcform started it with (capacity.ts); kept as the least for the next start. */
  max_services?: number;
}

/** What state.json records for an s6 live directory (`engine.options`, checked by engine/s6/driver.ts). */
export type S6Options = {
  /** The scan directory of the operator's s6-svscan (`rcform init --scandir`); absent: rcform starts its own. */
  scandir?: string;
};

export interface S6StartOptions {
  /** -c for an s6-svscan rcform starts (`rcform init --max-services`); sized from what is installed when absent. */
  maxServices?: number;
}

interface Installed {
  dir: string;
  svc: CompiledLongrun;
}

interface OneshotRecord {
  up: boolean;
  since: string;
}

/** The engine's own record (its config, the definitions it installed, which oneshots are up): durable, as state.json is. */
function writeJsonAtomic(file: string, value: unknown): void {
  atomicWriteFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { policy: 'durable' });
}

export class S6Engine implements Engine {
  readonly kind = 's6' as const;
  private readonly area: string;
  private installed = new Map<string, Installed>();
  /** Entries of the scan directory (ours and the operator's): each is a service s6-svscan supervises. */
  private scanEntries: number | undefined;
  private capacity: Capacity | null | undefined;

  private constructor(
    readonly liveDir: string,
    private readonly config: S6EngineFile,
  ) {
    this.area = liveLayout(liveDir).engine;
  }

  get scandir(): string {
    return this.config.scandir;
  }

  /** `rcform init --engine s6`: use the s6-svscan running on options.scandir, or start one for the live directory. */
  static async start(liveDir: string, options: S6Options, opts: S6StartOptions = {}): Promise<S6Engine> {
    // s6-svscan runs what its scan directory holds, as its own user: only that user's own.
    trusted('the live directory', () => checkLiveDir(liveDir));
    const area = liveLayout(liveDir).engine;
    fs.mkdirSync(path.join(area, 'sv'), { recursive: true, mode: 0o700 });
    let file: S6EngineFile;
    if (options.scandir) {
      const scandir = path.resolve(options.scandir);
      trusted('the scan directory', () => checkPathTo(scandir));
      if (!scannerRunning(scandir)) {
        throw new EngineError(undefined, `no s6-svscan is running on ${scandir} (start one, e.g. \`s6-svscan ${scandir}\`, or omit --scandir)`);
      }
      if (opts.maxServices !== undefined) throw new EngineError(undefined, `--max-services is for an s6-svscan rcform starts; the one on ${scandir} is yours: give it -c`);
      file = { format_version: S6_FILE_FORMAT_VERSION, scandir };
    } else {
      const scandir = path.join(area, 'scan');
      const existing = readEngineFile(area);
      if (existing && scannerRunning(existing.scandir)) {
        const running = existing.svscan_pid !== undefined ? capacityOf(existing.svscan_pid) : null;
        if (opts.maxServices !== undefined && running && opts.maxServices !== running.max) {
          throw new EngineError(undefined, `s6-svscan on ${existing.scandir} already runs, supervising at most ${running.max} services (${running.reason}); s6-svscan cannot change that while it runs: stop it (\`rcform supervise --stop\`, every service goes down), then init with --max-services again`);
        }
        file = existing;
      } else {
        // Every service directory under sv/ comes back under the new s6-svscan.
        const installed = fs.readdirSync(path.join(area, 'sv')).length;
        const previous = opts.maxServices === undefined ? existing?.max_services : undefined;
        if (opts.maxServices !== undefined && opts.maxServices < installed) {
          throw new EngineError(undefined, `--max-services ${opts.maxServices} is less than the ${installed} services installed`);
        }
        const max = sizedMaxServices(Math.max(installed, Math.ceil((previous ?? 0) / 2)), opts.maxServices);
        const started = await startScanner(scandir, path.join(area, 'svscan.log'), max);
        file = { format_version: S6_FILE_FORMAT_VERSION, scandir, svscan_pid: started.pid, max_services: max };
      }
    }
    writeJsonAtomic(path.join(area, CONFIG_FILE), file);
    const engine = new S6Engine(liveDir, file);
    engine.load();
    return engine;
  }

  /** Why the live directory's s6 engine cannot be opened (not set up, or its s6-svscan is not running), or null. */
  static unavailable(liveDir: string): string | null {
    const file = readEngineFile(liveLayout(liveDir).engine);
    if (!file) return `the s6 engine of ${liveDir} is not set up (run \`rcform init --engine s6\`)`;
    return scannerRunning(file.scandir) ? null : `no s6-svscan is running on ${file.scandir}`;
  }

  /** A service's log file without opening the engine (for `rcform logs` and the oneshot runner). */
  static logFileOf(liveDir: string, name: string): string {
    const area = liveLayout(liveDir).engine;
    const file = readEngineFile(area);
    const target = file ? safeRealpath(path.join(file.scandir, name)) : null;
    if (target && path.dirname(target) === safeRealpath(path.join(area, 'sv'))) return path.join(area, 'logs', path.basename(target), 'current');
    return path.join(area, 'logs', name, 'current');
  }

  /** An engine for a live directory that `start` set up; fails if its s6-svscan is not running. */
  static async open(liveDir: string): Promise<S6Engine> {
    const area = liveLayout(liveDir).engine;
    const file = readEngineFile(area);
    if (!file) throw new EngineNotRunningError(`the s6 engine of ${liveDir} is not set up (run \`rcform init --engine s6\`)`);
    // Every install links into the scan directory: an operator's one is checked each time it is used.
    if (file.svscan_pid === undefined) trusted('the scan directory', () => checkPathTo(file.scandir));
    if (!scannerRunning(file.scandir)) {
      // `rcform init` on the existing live directory starts the one rcform started; an operator's is theirs to start.
      throw new EngineNotRunningError(`no s6-svscan is running on ${file.scandir}${file.svscan_pid ? ` (start it with \`rcform init --live ${path.resolve(liveDir)}\`)` : ''}`);
    }
    const engine = new S6Engine(liveDir, file);
    engine.load();
    return engine;
  }

  /** Reads the index: the scan directory's symlinks that point into our sv/ directory. */
  private load(): void {
    this.installed.clear();
    const svRoot = fs.realpathSync(path.join(this.area, 'sv'));
    for (const name of fs.readdirSync(this.scandir)) {
      if (name.startsWith('.')) continue;
      const link = path.join(this.scandir, name);
      let target: string;
      try {
        target = fs.realpathSync(link);
      } catch {
        continue;
      }
      if (path.dirname(target) !== svRoot) continue;
      try {
        const svc = JSON.parse(fs.readFileSync(path.join(target, DEFINITION_FILE), 'utf8')) as CompiledLongrun;
        this.installed.set(name, { dir: target, svc });
      } catch {
        // A directory without its definition was interrupted mid-install: install again replaces it.
      }
    }
  }

  private logDirOf(dir: string): string {
    return path.join(this.area, 'logs', path.basename(dir));
  }

  /** The file `rcform logs` reads: a longrun's s6-log `current`, or a oneshot's output file. */
  logFile(name: string): string {
    return S6Engine.logFileOf(this.liveDir, name);
  }

  private get fdholderDir(): string {
    return path.join(this.area, FDHOLDER_DIR);
  }

  private get fdholderLink(): string {
    return path.join(this.scandir, fdholderEntryName(this.area));
  }

  /** Pipe operations one at a time: each reads and rewrites the holder's list of pipelines. */
  private pipeOps: Promise<unknown> = Promise.resolve();

  private serialPipes<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.pipeOps.then(fn);
    this.pipeOps = run.catch(() => {});
    return run;
  }

  /** The fd holder installed in the scan directory, supervised, up and ready. */
  private async ensureFdholder(service: string): Promise<void> {
    const dir = this.fdholderDir;
    writeFdholderDir(dir, process.getuid?.() ?? 0);
    if (!lstatOrNull(this.fdholderLink)) {
      this.checkCapacity(service);
      fs.symlinkSync(dir, this.fdholderLink);
      this.scanEntries = (this.scanEntries ?? 0) + 1;
      await this.rescan(service);
    }
    if (!(await pollUntil(() => fifoHasReader(path.join(dir, 'supervise', 'control')), SUPERVISOR_WAIT_MS))) {
      throw new EngineError(service, `s6-supervise did not start on the pipelines' fd holder ${dir} within ${SUPERVISOR_WAIT_MS} ms`);
    }
    const st = await this.svstat(service, dir);
    if (st?.up && st.ready) return;
    if ((await transition(service, dir, 'u', 'ready', SUPERVISOR_WAIT_MS)) !== 'reached') throw new EngineError(service, `the pipelines' fd holder ${dir} did not become ready within ${SUPERVISOR_WAIT_MS} ms (its messages go to s6-svscan's output)`);
  }

  /** The pipes this service's run script retrieves an end of: held before it can first run. */
  private ensurePipes(svc: CompiledLongrun): Promise<void> {
    const consumers = pipelinesOf(svc);
    if (consumers.length === 0) return Promise.resolve();
    return this.serialPipes(async () => {
      await this.ensureFdholder(svc.name);
      const listed = readPipelines(this.fdholderDir);
      for (const c of consumers) {
        // Listed first: a holder restarting meanwhile fills itself with it.
        if (!listed.has(c)) {
          listed.add(c);
          writePipelines(this.fdholderDir, listed);
        }
        await ensurePipe(this.fdholderDir, svc.name, c);
      }
    });
  }

  /** Before a pipeline end starts: its holder may have been stopped (shutdown) or lost its pipes. */
  private async pipesReady(svc: CompiledLongrun): Promise<void> {
    if (pipelinesOf(svc).length > 0) await this.ensurePipes(svc);
  }

  /** Pipes neither of whose ends is installed any more are dropped; the holder goes with the last one. */
  private dropUnusedPipes(candidates: (string | undefined)[], service: string): Promise<void> {
    return this.serialPipes(async () => {
      const listed = readPipelines(this.fdholderDir);
      const ends = new Set([...this.installed.values()].flatMap((i) => pipelinesOf(i.svc)));
      const unused = candidates.filter((c): c is string => c !== undefined && listed.has(c) && !ends.has(c));
      if (unused.length === 0) return;
      const running = fifoHasReader(path.join(this.fdholderDir, 'supervise', 'control'));
      for (const c of unused) {
        listed.delete(c);
        writePipelines(this.fdholderDir, listed);
        if (running) await dropPipe(this.fdholderDir, service, c);
      }
      if (listed.size === 0 && lstatOrNull(this.fdholderLink)) await this.removeFdholder(service);
    });
  }

  private async removeFdholder(service: string): Promise<void> {
    const dir = this.fdholderDir;
    fs.writeFileSync(path.join(dir, 'down'), '');
    if (fifoHasReader(path.join(dir, 'supervise', 'control'))) {
      await transition(service, dir, 'd', 'finished', SUPERVISOR_WAIT_MS);
    }
    fs.rmSync(this.fdholderLink, { force: true });
    if (this.scanEntries !== undefined) this.scanEntries--;
    await this.rescan(service, true);
    await pollUntil(() => !fifoHasReader(path.join(dir, 'supervise', 'control')), SUPERVISOR_WAIT_MS);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  private get(name: string): Installed {
    const i = this.installed.get(name);
    if (!i) throw new EngineError(name, 'not installed in the s6 engine');
    return i;
  }

  private link(name: string): string {
    return path.join(this.scandir, name);
  }

  /**
   * Tells s6-svscan to rescan (`a`; `an` also drops the supervisors of removed entries). It rereads
   * the whole scan directory each time, so with thousands of services one rescan per install would
   * be quadratic: rescans go at most one per RESCAN_INTERVAL_MS, and a caller within that time shares
   * the next one, which sees every link made before it is sent. The first goes at once, so that
   * the first services of an apply are supervised, and can start, while the others are written.
   */
  private rescan(service: string, nuke = false): Promise<void> {
    if (this.pendingRescan) {
      this.pendingRescan.nuke ||= nuke;
      return this.pendingRescan.done;
    }
    const wait = this.lastRescan + RESCAN_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.lastRescan = performance.now();
      return svscanControl(this.scandir, nuke ? 'an' : 'a');
    }
    const pending = { nuke, done: Promise.resolve() };
    pending.done = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        this.pendingRescan = undefined;
        this.lastRescan = performance.now();
        svscanControl(this.scandir, pending.nuke ? 'an' : 'a').then(resolve, reject);
      }, wait);
    });
    this.pendingRescan = pending;
    return pending.done;
  }

  private lastRescan = -Infinity;
  private pendingRescan: { nuke: boolean; done: Promise<void> } | undefined;

  /**
   * New service directories are written one per turn of the event loop, in the order their
   * installs were asked for (an apply asks in plan order): between two, rescans go out and started
   * services are heard, so a chain's first starts need not wait for a thousand directories.
   */
  private writeTurn(): Promise<void> {
    const turn = this.lastWriteTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.lastWriteTurn = turn;
    return turn;
  }

  private lastWriteTurn: Promise<void> = Promise.resolve();

  /** Waits for the s6-supervise processes of the service and of its logger to be there (or gone). */
  private async waitSupervised(name: string, dir: string, supervised: boolean): Promise<void> {
    const controls = [path.join(dir, 'supervise', 'control'), path.join(dir, 'log', 'supervise', 'control')];
    const ok = await pollUntil(() => controls.every((c) => fifoHasReader(c) === supervised), SUPERVISOR_WAIT_MS);
    if (!ok) throw new EngineError(name, `s6-supervise ${supervised ? 'did not start' : 'did not exit'} on ${dir} within ${SUPERVISOR_WAIT_MS} ms`);
  }

  async install(svc: CompiledLongrun): Promise<void> {
    checkAccountOf(svc);
    const have = this.installed.get(svc.name);
    if (have) {
      // Installed already: a plan made while s6-svscan was down saw nothing, but the scan
      // directory kept its links and s6-supervise its processes. As the embedded engine does, the
      // service is adopted as it is (same definition) or updated in place (a new one); its
      // process and wanted state are not touched.
      if (canonicalJson(have.svc) !== canonicalJson(svc)) await this.update(svc);
      await this.rescan(svc.name);
      await this.waitSupervised(svc.name, have.dir, true);
      return;
    }
    const link = this.link(svc.name);
    const stale = lstatOrNull(link);
    if (stale) {
      // Ours but without a definition (an interrupted install) is replaced; anything else is the operator's.
      const target = safeRealpath(link);
      if (!target || path.dirname(target) !== fs.realpathSync(path.join(this.area, 'sv'))) {
        throw new EngineError(svc.name, `${link} already exists in the scan directory and is not managed by rcform`);
      }
      fs.rmSync(link);
    }
    this.checkCapacity(svc.name);
    const id = `${svc.name}-${randomBytes(4).toString('hex')}`;
    const dir = path.join(fs.realpathSync(path.join(this.area, 'sv')), id);
    await this.ensurePipes(svc);
    await this.writeTurn();
    // Again: other installs may have taken the last slots meanwhile. From here to the link nothing waits.
    this.checkCapacity(svc.name);
    writeServiceDir(dir, svc, this.logDirOf(dir));
    fs.writeFileSync(path.join(dir, 'down'), '');
    writeJsonAtomic(path.join(dir, DEFINITION_FILE), svc);
    fs.symlinkSync(dir, link);
    this.scanEntries = (this.scanEntries ?? 0) + 1;
    this.installed.set(svc.name, { dir, svc });
    await this.rescan(svc.name);
    await this.waitSupervised(svc.name, dir, true);
  }

  /**
   * Refuses an install that s6-svscan would not supervise (it would only log "too many services",
   * and the install would wait for a supervisor that never comes): see capacity.ts.
   * Synchronous from the count to the link, so concurrent installs cannot both take the last slot.
   */
  private checkCapacity(name: string): void {
    const cap = this.currentCapacity();
    // Unknown (not readable in /proc): s6-svscan's log is then the only witness.
    if (cap === null) return;
    const entries = this.countScanEntries();
    if (entries < cap.max) return;
    throw new EngineError(name, `cannot install: the s6-svscan on ${this.scandir} supervises at most ${cap.max} services (${cap.reason}) and its scan directory has ${entries}; ${this.raiseRemedy()}`);
  }

  private currentCapacity(): Capacity | null {
    if (this.capacity === undefined) {
      const own = this.config.svscan_pid !== undefined ? capacityOf(this.config.svscan_pid) : null;
      const pid = own ? null : findScanner(this.scandir);
      this.capacity = own ?? (pid !== null ? capacityOf(pid) : null);
    }
    return this.capacity;
  }

  private countScanEntries(): number {
    this.scanEntries ??= fs.readdirSync(this.scandir).filter((n) => !n.startsWith('.')).length;
    return this.scanEntries;
  }

  private raiseRemedy(): string {
    return this.config.svscan_pid !== undefined
      ? `to raise it, stop it with \`rcform supervise --stop --live ${this.liveDir}\` (every service goes down) and start it with \`rcform init --live ${this.liveDir} --max-services N\``
      : 'to raise it, restart that s6-svscan with a larger -c (and enough open files, 2 per logged service)';
  }

  /**
   * Before an apply runs any step: room in s6-svscan for every longrun it installs (and the fd
   * holder, for a first pipeline). rcform's own s6-svscan with no service process running under it
   * is started again with a -c sized for them: nothing runs, so nothing is lost (supervisors come
   * back on the same directories, down files keep services down, the holder refills its pipes).
   * Otherwise the apply is refused before it starts, naming the limit.
   */
  async reserve(installs: CompiledLongrun[]): Promise<void> {
    const cap = this.currentCapacity();
    if (cap === null) return;
    const adding = installs.filter((s) => !this.installed.has(s.name));
    const holder = adding.some((s) => pipelinesOf(s).length > 0) && !lstatOrNull(this.fdholderLink) ? 1 : 0;
    const entries = this.countScanEntries();
    const needed = entries + adding.length + holder;
    if (needed <= cap.max) return;
    if (this.config.svscan_pid !== undefined && (await this.nothingRuns())) {
      const max = sizedMaxServices(needed);
      if (max >= needed) {
        await this.restartScanner(max);
        return;
      }
    }
    throw new EngineError(undefined, `this apply installs ${adding.length + holder} services, but the s6-svscan on ${this.scandir} supervises at most ${cap.max} (${cap.reason}) and its scan directory has ${entries}; ${this.raiseRemedy()}`);
  }

  /** No installed service has a process (only then may rcform's s6-svscan be restarted unseen). */
  private async nothingRuns(): Promise<boolean> {
    for (const [name, i] of this.installed) {
      const st = await this.svstat(name, i.dir);
      if (st && (st.up || st.pid > 0)) return false;
    }
    return true;
  }

  private async restartScanner(max: number): Promise<void> {
    const dirs = [...this.installed.values()].flatMap((i) => [i.dir, path.join(i.dir, 'log')]);
    if (lstatOrNull(this.fdholderLink)) dirs.push(this.fdholderDir);
    await stopScanner(this.scandir, this.config.svscan_pid, Math.max(30000, 50 * dirs.length));
    const started = await startScanner(this.scandir, path.join(this.area, 'svscan.log'), max);
    this.config.svscan_pid = started.pid;
    this.config.max_services = max;
    writeJsonAtomic(path.join(this.area, CONFIG_FILE), this.config);
    this.capacity = undefined;
    const back = await pollUntil(() => dirs.every((d) => fifoHasReader(path.join(d, 'supervise', 'control'))), Math.max(SUPERVISOR_WAIT_MS, 20 * dirs.length));
    if (!back) throw new EngineError(undefined, `restarted with -c ${max}, but not every s6-supervise came back within the time allowed (see ${path.join(this.area, 'svscan.log')})`);
  }

  async update(svc: CompiledLongrun): Promise<void> {
    checkAccountOf(svc);
    const i = this.get(svc.name);
    await this.ensurePipes(svc);
    const before = i.svc;
    writeServiceDir(i.dir, svc, this.logDirOf(i.dir));
    writeJsonAtomic(path.join(i.dir, DEFINITION_FILE), svc);
    i.svc = svc;
    await this.dropUnusedPipes(pipelinesOf(before), svc.name);
  }

  async rename(from: string, to: string, svc: CompiledLongrun): Promise<void> {
    const i = this.get(from);
    if (svc.name !== to) throw new EngineError(from, `rename to "${to}" given a definition named "${svc.name}"`);
    checkAccountOf(svc);
    if (this.installed.has(to) || lstatOrNull(this.link(to))) throw new EngineError(to, `cannot rename ${from} to ${to}: ${this.link(to)} already exists`);
    fs.renameSync(this.link(from), this.link(to));
    // A consumer's pipe follows its name; the processes keep their ends, the holder its copies.
    if (i.svc.consumer_for.length > 0) {
      await this.serialPipes(async () => {
        const listed = readPipelines(this.fdholderDir);
        if (!listed.has(from)) return;
        await this.ensureFdholder(from);
        await renamePipe(this.fdholderDir, from, from, to);
        listed.delete(from);
        listed.add(to);
        writePipelines(this.fdholderDir, listed);
      });
    }
    this.installed.delete(from);
    this.installed.set(to, i);
    // Same directory, same inode: s6-svscan keeps the supervisor; the rescan only learns the new name.
    await this.rescan(to);
    await this.update(svc);
  }

  async uninstall(name: string): Promise<void> {
    const i = this.get(name);
    fs.writeFileSync(path.join(i.dir, 'down'), '');
    await this.forceDown(name, i);
    fs.rmSync(this.link(name), { force: true });
    if (this.scanEntries !== undefined) this.scanEntries--;
    this.installed.delete(name);
    await this.rescan(name, true);
    await this.waitSupervised(name, i.dir, false);
    fs.rmSync(i.dir, { recursive: true, force: true });
    fs.rmSync(this.logDirOf(i.dir), { recursive: true, force: true });
    // A pipe goes when neither its consumer nor any producer of it is installed any more.
    await this.dropUnusedPipes(pipelinesOf(i.svc), name);
  }

  async start(name: string, opts: TransitionOptions): Promise<void> {
    const i = this.get(name);
    // The down file mirrors what is wanted, so a restarted s6-supervise (or a reboot) keeps it up.
    fs.rmSync(path.join(i.dir, 'down'), { force: true });
    fs.rmSync(path.join(i.dir, FAILED_FILE), { force: true });
    // Deaths recorded from here on are restarts (see statusOf); a file, not s6-svdt-clear, to spare a process per start.
    const deathsBefore = deathCount(i.dir);
    fs.writeFileSync(path.join(i.dir, START_DEATHS_FILE), `${deathsBefore}\n`);
    await this.pipesReady(i.svc);
    const goal = i.svc.notification_fd !== undefined ? 'ready' : 'up';
    const outcome = await transition(name, i.dir, 'u', goal, opts.timeoutMs, opts.signal);
    if (outcome !== 'reached') {
      // As s6-rc does on timeout-up (and the embedded engine): the transition failed, the service goes back down.
      await this.failStart(name, i);
      const why = outcome === 'timeout' ? `not ${goal} within ${opts.timeoutMs} ms` : outcome === 'permanent-failure' ? 'its finish script reported a permanent failure' : 'its s6-supervise exited';
      throw new EngineError(name, `${why}; brought down`);
    }
    if (goal === 'up') {
      const failedExit = await this.launchFailure(name, i, deathsBefore);
      if (failedExit !== null) {
        await this.failStart(name, i);
        throw new EngineError(name, `cannot run ${describeCommand(i.svc)}: its launcher exited ${failedExit} before the program started (its log says why); brought down`);
      }
    }
  }

  /**
   * s6-supervise reports "up" as soon as it has forked ./run, before the exec chain reaches the
   * service's program, so a program that cannot be executed (missing, not executable, a bad
   * working_dir) would pass for a started service and then be retried every second. The embedded
   * engine reports such a spawn error at start; to behave the same, watch the run process until it
   * has left the launcher (env, s6-envdir, privilege tools) or died. A death with the codes the
   * launcher uses for "cannot exec" (126, 127) or "cannot cd" (111) is that failure; the exit code
   * is returned. A program that starts and then exits is a start that worked, as with s6-rc.
   */
  private async launchFailure(name: string, i: Installed, deathsBefore: number): Promise<number | null> {
    const deadline = Date.now() + LAUNCH_WATCH_MS;
    let pid = 0;
    for (let delay = 2; Date.now() < deadline; delay = Math.min(delay * 2, 10)) {
      // One read of the tally for both questions: reading it for the record and then stat'ing it
      // for the count raced with s6-supervise writing the death in between, and a program that
      // cannot run was taken for one that started and exited.
      const death = firstDeathSince(i.dir, deathsBefore);
      if (death !== undefined) return death.launcherFailure;
      if (pid === 0) pid = (await this.svstat(name, i.dir))?.pid ?? 0;
      if (pid > 0) {
        const cmd = cmdlineOf(pid);
        if (cmd !== null && cmd.length > 0 && !inLauncher(cmd, i.dir, i.svc)) return null;
      }
      await sleep(delay);
    }
    return null;
  }

  /** Down, and remembered as failed until the next start or stop (status reports `failed`, as the embedded engine does). */
  private async failStart(name: string, i: Installed): Promise<void> {
    fs.writeFileSync(path.join(i.dir, 'down'), '');
    fs.writeFileSync(path.join(i.dir, FAILED_FILE), '');
    await this.bringDown(name, i, i.svc.timeouts.kill_ms ? i.svc.timeouts.kill_ms + 5000 : 10000).catch(() => this.forceDown(name, i));
  }

  async stop(name: string, opts: TransitionOptions): Promise<void> {
    const i = this.get(name);
    fs.writeFileSync(path.join(i.dir, 'down'), '');
    fs.rmSync(path.join(i.dir, FAILED_FILE), { force: true });
    await this.bringDown(name, i, opts.timeoutMs, opts.signal);
  }

  /**
   * s6-svc -d, wait for down and ./finish done (-wD), then clear what is left of the process group:
   * s6-supervise runs ./run as a session leader but signals only that process, so children it
   * leaves behind get the down signal, then SIGKILL after timeout-kill.
   */
  private async bringDown(name: string, i: Installed, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const before = await this.svstat(name, i.dir);
    const outcome = await transition(name, i.dir, 'd', 'finished', timeoutMs, signal);
    if (outcome === 'timeout') throw new EngineError(name, `still running ${timeoutMs} ms after ${i.svc.down_signal}`);
    if (before && before.pid > 0) await killGroup(before.pid, i.svc.down_signal, i.svc.timeouts.kill_ms);
  }

  /** Down whatever it takes: a service without timeout-kill that ignores its down signal gets SIGKILL after 10 s. */
  private async forceDown(name: string, i: Installed): Promise<void> {
    if (!fs.existsSync(i.dir)) return;
    fs.writeFileSync(path.join(i.dir, 'down'), '');
    if (!fifoHasReader(path.join(i.dir, 'supervise', 'control'))) return;
    try {
      await this.bringDown(name, i, i.svc.timeouts.kill_ms ? i.svc.timeouts.kill_ms + 5000 : 10000);
    } catch {
      await sendControl(name, i.dir, 'kd').catch(() => undefined);
      await this.bringDown(name, i, 10000);
    }
  }

  async reload(name: string): Promise<void> {
    const i = this.get(name);
    const sig = i.svc.reload_signal ?? 'SIGHUP';
    const flag = svcSignalFlag(sig);
    if (!flag) throw new EngineError(name, `s6-svc cannot send reload signal ${sig} (it can send ${SVC_SIGNALS.join(', ')})`);
    const st = await this.svstat(name, i.dir);
    if (!st?.up) throw new EngineError(name, 'cannot reload: not running');
    await sendControl(name, i.dir, flag);
  }

  /** Through the oneshot runner under s6-svscan (oneshot-runner.ts), started on first use. */
  async runOneshot(svc: CompiledOneshot, direction: 'up' | 'down', opts: OneshotRunOptions): Promise<OneshotRunResult> {
    if ((direction === 'up' ? svc.up : svc.down) === undefined) return { code: 0, durationMs: 0 };
    await this.ensureRunner(svc.name);
    const input = opts.input === undefined ? undefined : Buffer.from(opts.input).toString('base64');
    const body = { op: 'run-oneshot', svc, direction, timeoutMs: opts.timeoutMs, ...(input !== undefined ? { input } : {}) };
    return (await askRunner(runnerSocket(this.area), svc.name, body, {
      cancel: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onSpawned: (m) => opts.onSpawned?.(m.pid, m.starttime),
    })) as OneshotRunResult;
  }

  /** The oneshot runner ran it (a restarted runner still kills by the recorded pid). */
  async stopCutOffRun(name: string, run: { pid?: number; starttime?: number }): Promise<CutOffRun> {
    await this.ensureRunner(name);
    return (await askRunner(runnerSocket(this.area), name, { op: 'stop-cut-off', service: name, ...run })) as CutOffRun;
  }

  /**
   * Asked of the oneshot runner, which runs as s6-svscan's user, as the services do; without an
   * account to check, nothing is started for it.
   */
  async checkAccounts(accounts: AccountRef[]): Promise<(string | null)[]> {
    if (accounts.every((a) => a.user === undefined && a.group === undefined)) return accounts.map(() => null);
    await this.ensureRunner(RUNNER_DIR);
    return (await askRunner(runnerSocket(this.area), undefined, { op: 'check-accounts', accounts })) as (string | null)[];
  }

  /** s6-log's files, each line stamped (`t`): the stamp is taken off and gives the line's time. */
  log(name: string): ServiceLog {
    return S6Engine.logOf(this.liveDir, name);
  }

  /** A service's log without opening the engine: it is read with s6-svscan stopped too. */
  static logOf(liveDir: string, name: string): ServiceLog {
    return s6Log(S6Engine.logFileOf(liveDir, name), taiOffset);
  }

  private get runnerDir(): string {
    return path.join(this.area, RUNNER_DIR);
  }

  private get runnerLink(): string {
    return path.join(this.scandir, runnerEntryName(this.area));
  }

  private runnerUp?: Promise<void>;

  /** The oneshot runner installed in the scan directory, supervised, up and ready. */
  private ensureRunner(service: string): Promise<void> {
    this.runnerUp ??= (async () => {
      const dir = this.runnerDir;
      const changed = writeRunnerDir(dir);
      // A runner of another `run` is started again on the new one (runs in flight go on without their asker).
      if (changed && fifoHasReader(path.join(dir, 'supervise', 'control'))) await transition(service, dir, 'd', 'down', SUPERVISOR_WAIT_MS);
      if (!lstatOrNull(this.runnerLink)) {
        this.checkCapacity(service);
        fs.symlinkSync(dir, this.runnerLink);
        this.scanEntries = (this.scanEntries ?? 0) + 1;
        await this.rescan(service);
      }
      if (!(await pollUntil(() => fifoHasReader(path.join(dir, 'supervise', 'control')), SUPERVISOR_WAIT_MS))) {
        throw new EngineError(service, `s6-supervise did not start on the oneshot runner ${dir} within ${SUPERVISOR_WAIT_MS} ms`);
      }
      const st = await this.svstat(service, dir);
      if (st?.up && st.ready) return;
      if ((await transition(service, dir, 'u', 'ready', SUPERVISOR_WAIT_MS)) !== 'reached') throw new EngineError(service, `the oneshot runner ${dir} did not become ready within ${SUPERVISOR_WAIT_MS} ms (its messages go to s6-svscan's output)`);
    })();
    this.runnerUp.catch(() => (this.runnerUp = undefined));
    return this.runnerUp;
  }

  /** Takes the runner out of the scan directory (a shutdown on an operator's s6-svscan). */
  private async removeRunner(): Promise<void> {
    const dir = this.runnerDir;
    if (!lstatOrNull(this.runnerLink)) return;
    if (fifoHasReader(path.join(dir, 'supervise', 'control'))) await transition(RUNNER_DIR, dir, 'd', 'finished', SUPERVISOR_WAIT_MS).catch(() => undefined);
    fs.rmSync(this.runnerLink, { force: true });
    if (this.scanEntries !== undefined) this.scanEntries--;
    await this.rescan(RUNNER_DIR, true);
    this.runnerUp = undefined;
  }

  async setOneshotState(svc: CompiledService, up: boolean): Promise<void> {
    const records = this.readOneshots();
    // As the embedded engine: a oneshot that is down has no record (down is what an unknown oneshot is).
    if (up) records[svc.name] = { up, since: records[svc.name]?.up ? records[svc.name]!.since : new Date().toISOString() };
    else delete records[svc.name];
    writeJsonAtomic(path.join(this.area, 'oneshots.json'), records);
  }

  /** Forgets a oneshot (its uninstall): it has no process, only its recorded state. */
  async forgetOneshot(name: string): Promise<void> {
    const records = this.readOneshots();
    delete records[name];
    writeJsonAtomic(path.join(this.area, 'oneshots.json'), records);
  }

  private readOneshots(): Record<string, OneshotRecord> {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.area, 'oneshots.json'), 'utf8')) as Record<string, OneshotRecord>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new EngineError('<oneshots>', `cannot read ${path.join(this.area, 'oneshots.json')}: ${(e as Error).message}`);
    }
  }

  /**
   * What s6-svstat would say of one service, or null when no s6-supervise runs on it. Read from
   * supervise/status directly (no process: 2,000 services must not mean 2,000 s6-svstat), with
   * s6-svstat itself for a status file of another s6 version's layout.
   */
  private async svstat(name: string, dir: string): Promise<SvStat | null> {
    const offset = await taiOffset();
    if (!fifoHasReader(path.join(dir, 'supervise', 'control'))) return null;
    try {
      const decoded = decodeSvStatus(fs.readFileSync(path.join(dir, 'supervise', 'status')), offset);
      if (decoded) return decoded;
    } catch (err) {
      // s6-supervise listens on supervise/control before it first writes its status: not run yet,
      // so down (s6-svstat would fail on the missing file). Otherwise let s6-svstat say why.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { up: false, wantedUp: false, ready: false, pid: -1, exitCode: -1, signal: null, since: new Date().toISOString() };
    }
    const res = await runTool(name, 's6-svstat', ['-o', SVSTAT_FIELDS.join(','), dir], { okCodes: [1] });
    if (res.code === 1) return null;
    return parseSvStat(res.stdout, offset);
  }

  /** s6-svstat's own answer, for tests that check svstat() against it. */
  async svstatTool(name: string): Promise<SvStat | null> {
    const i = this.get(name);
    const res = await runTool(name, 's6-svstat', ['-o', SVSTAT_FIELDS.join(','), i.dir], { okCodes: [1] });
    return res.code === 1 ? null : parseSvStat(res.stdout, await taiOffset());
  }

  /** The engine's reading of a service's status file (see svstat). */
  async svstatOf(name: string): Promise<SvStat | null> {
    const i = this.get(name);
    return this.svstat(name, i.dir);
  }

  async status(): Promise<Record<string, ServiceStatus>> {
    const out: Record<string, ServiceStatus> = {};
    const entries = [...this.installed.entries()];
    // s6-svstat is one process per service: a few at a time keeps 2,000 services quick without
    // flooding a small machine.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const [name, i] = entries[next++] as [string, Installed];
        out[name] = await this.statusOf(name, i);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    for (const [name, r] of Object.entries(this.readOneshots())) {
      out[name] = { name, type: 'oneshot', wanted: r.up ? 'up' : 'down', state: r.up ? 'up' : 'down', since: r.since, restarts: 0 };
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  private async statusOf(name: string, i: Installed): Promise<ServiceStatus> {
    const st = await this.svstat(name, i.dir);
    const wantedFile = fs.existsSync(path.join(i.dir, 'down')) ? 'down' : 'up';
    if (!st) {
      // Linked but unsupervised: s6-svscan lost it (or is gone). Say so rather than guess.
      return { name, type: 'longrun', wanted: wantedFile, state: 'failed', since: new Date().toISOString(), restarts: 0 };
    }
    const died = deathCount(i.dir);
    const deaths = died - startDeaths(i.dir);
    const s: ServiceStatus = {
      name,
      type: 'longrun',
      wanted: st.wantedUp ? 'up' : 'down',
      state: !st.up && !st.wantedUp && fs.existsSync(path.join(i.dir, FAILED_FILE)) ? 'failed' : runStateOf(st, i.svc.notification_fd !== undefined),
      since: st.since,
      // Deaths since the last start are restarts, except the last one when it was asked for (a stop).
      restarts: Math.max(0, deaths - (st.wantedUp || st.up ? 0 : 1)),
    };
    if (st.pid > 0) s.pid = st.pid;
    // A service that never ran has a zero wait status too: no death recorded, no last exit.
    if (!st.up && died > 0 && (st.exitCode >= 0 || st.signal)) s.lastExit = { code: st.exitCode >= 0 ? st.exitCode : null, signal: st.signal };
    return s;
  }

  async close(): Promise<void> {
    // Nothing to release: every call is a short-lived s6 tool; the supervision tree lives on.
  }

  /**
   * Stops the supervision tree cleanly: every longrun down (stubborn ones killed after their
   * timeout-kill, or 10 s), then, if rcform started s6-svscan, `s6-svscanctl -t` and wait for it.
   * An operator's s6-svscan is left running with our services down.
   */
  async shutdown(): Promise<void> {
    // A few at a time: thousands of services must not mean thousands of s6-svc processes at once.
    const entries = [...this.installed.entries()];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < entries.length) {
          const [name, i] = entries[next++] as [string, Installed];
          await this.forceDown(name, i);
        }
      }),
    );
    if (this.config.svscan_pid === undefined) await this.removeRunner();
    if (this.config.svscan_pid !== undefined) {
      // Supervisors orphaned by an s6-svscan that was killed still hold their services (a new
      // s6-svscan's own s6-supervise fails on their lock, and s6-svscanctl -t never reaches them):
      // with every service down, tell them to exit, loggers included, so the stop leaves nothing.
      const dirs = [...this.installed.values()].flatMap((i) => [i.dir, path.join(i.dir, 'log')]);
      if (lstatOrNull(this.fdholderLink)) dirs.push(this.fdholderDir);
      if (lstatOrNull(this.runnerLink)) dirs.push(this.runnerDir);
      for (const dir of orphanSupervisors(dirs, this.config.svscan_pid)) await sendControl(path.basename(dir), dir, 'dx').catch(() => undefined);
      // Each supervisor exits on its own signal and s6-svscan reaps them all: thousands take a while on a small machine.
      await stopScanner(this.scandir, this.config.svscan_pid, Math.max(30000, 50 * dirs.length));
    }
  }
}

let measuredTaiOffset: Promise<number> | undefined;

/** skalibs' TAI - Unix offset, measured once per process by stamping a line with s6-tai64n. */
function taiOffset(): Promise<number> {
  measuredTaiOffset ??= (async () => {
    try {
      const before = Date.now();
      const res = await runTool('<s6-tai64n>', 'sh', ['-c', 'echo | s6-tai64n']);
      const now = (before + Date.now()) / 2;
      return taiOffsetOf(res.stdout.trim(), now);
    } catch {
      return DEFAULT_TAI_OFFSET;
    }
  })();
  return measuredTaiOffset;
}

function readEngineFile(area: string): S6EngineFile | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(area, CONFIG_FILE), 'utf8')) as S6EngineFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EngineError(undefined, `cannot read ${path.join(area, CONFIG_FILE)}: ${(e as Error).message}`);
  }
}

function trusted(what: string, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof LiveDirTrustError) throw new EngineError(undefined, `refusing ${what}: ${err.message}`);
    throw err;
  }
}

/**
 * An unknown account, or one only root may switch to, fails the install rather than every spawn;
 * a name that would lead a path out of its directory fails it before anything is written.
 */
function checkAccountOf(svc: CompiledLongrun): void {
  const unsafe = servicePathProblems(svc);
  if (unsafe.length > 0) throw new EngineError(String(svc.name), `refused before anything was written: ${unsafe.join('; ')}`);
  if (svc.user === undefined && svc.group === undefined) return;
  try {
    checkAccount(svc.user, svc.group);
  } catch (err) {
    if (err instanceof AccountError) throw new EngineError(svc.name, err.message);
    throw err;
  }
}

/** Of `dirs`, those whose s6-supervise is not a child of the s6-svscan running now. */
function orphanSupervisors(dirs: string[], svscanPid: number): string[] {
  const wanted = new Set(dirs);
  const out: string[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 's6-supervise') continue;
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      // comm may hold spaces; the fields after its closing parenthesis do not: state, then ppid.
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (wanted.has(cwd) && ppid !== svscanPid) out.push(cwd);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function safeRealpath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/** Size of one death tally record: a TAI64N stamp (12 bytes), then the wait status' exit code and signal. */
const DTALLY_RECORD = 14;

function deathCount(dir: string): number {
  try {
    return Math.floor(fs.statSync(path.join(dir, 'supervise', 'death_tally')).size / DTALLY_RECORD);
  } catch {
    return 0;
  }
}

const START_DEATHS_FILE = 'rcform-start-deaths';
/** Present when the last start failed and brought the service down. */
const FAILED_FILE = 'rcform-failed';
/** How long start watches the run process leave the launcher; past that it is taken as started. Generous: shared machines. */
const LAUNCH_WATCH_MS = 10000;
/** Exit codes of the launcher chain: 111 (run: cannot cd), 126 and 127 (env, s6-envdir… cannot exec). */
const LAUNCHER_FAILURES = new Set([111, 126, 127]);

/**
 * The first death since `from` (undefined when there is none yet), and its exit code when that is
 * a launcher failure (null for an ordinary exit or a signal).
 */
function firstDeathSince(dir: string, from: number): { launcherFailure: number | null } | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(dir, 'supervise', 'death_tally'));
  } catch {
    return undefined;
  }
  const off = from * DTALLY_RECORD;
  if (buf.length < off + DTALLY_RECORD) return undefined;
  // The record's last two bytes: the exit code, then the signal (0 when it exited).
  const code = buf[off + 12] as number;
  const sig = buf[off + 13] as number;
  return { launcherFailure: sig === 0 && LAUNCHER_FAILURES.has(code) ? code : null };
}

function cmdlineOf(pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((w, k, all) => k < all.length - 1 || w !== '');
  } catch {
    return null;
  }
}

const LAUNCHER_PROGRAMS = new Set(['s6-supervise', 'env', 's6-envdir', 's6-setuidgid', 's6-envuidgid', 's6-applyuidgid', 's6-fdholder-retrieve']);

/** Whether a run process is still one of rcform's launcher stages rather than the service's own program. */
export function inLauncher(cmd: string[], dir: string, svc: CompiledLongrun): boolean {
  const prog = path.basename(cmd[0] ?? '');
  // The run script under its shell: `/bin/sh ./run` (s6-supervise execs ./run from the service directory).
  if (cmd.some((w) => w === './run' || w === path.join(dir, 'run')) && /sh$/.test(prog)) return true;
  if (!LAUNCHER_PROGRAMS.has(prog)) return false;
  // A stage of the chain still carries the program's words at its end; the program itself is just them.
  const words = 'argv' in svc.run ? svc.run.argv : [scriptWord(svc, dir, 'run')];
  if (prog === 's6-supervise' || prog === 's6-fdholder-retrieve') return true;
  return cmd.length > words.length && words.every((w, k) => cmd[cmd.length - words.length + k] === w);
}

function describeCommand(svc: CompiledLongrun): string {
  return 'argv' in svc.run ? (svc.run.argv[0] ?? '') : 'its run script';
}

function startDeaths(dir: string): number {
  try {
    return Number(fs.readFileSync(path.join(dir, START_DEATHS_FILE), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function killGroup(pgid: number, downSignal: string, killMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, downSignal as NodeJS.Signals);
  } catch {
    // Gone between the check and the signal, or an unknown name: SIGKILL below settles it.
  }
  if (await pollUntil(() => !groupAlive(pgid), killMs || 5000)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return;
  }
  await pollUntil(() => !groupAlive(pgid), 5000);
  await sleep(0);
}
