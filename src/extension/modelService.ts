import { InfillEngine, ModelInfo } from '../core';
import { kindById } from '../core/engineKinds';
import { Emitter } from './emitter';
import { engineKey, ModelSettings } from './settings';

export type ModelState = { kind: 'idle' } | { kind: 'loading'; source: string } | { kind: 'ready'; info: ModelInfo } | { kind: 'error'; message: string };

interface Loaded {
  key: string;
  engine: Promise<InfillEngine>;
}

export type EngineOpener = (model: ModelSettings, log: (message: string) => void) => Promise<InfillEngine>;

/**
 * Owns the one engine of the extension host. It is opened on first use (never at activation, so
 * that starting VS Code costs nothing) and shared by every feature; a change of the model
 * settings drops it, and the next use opens the new one.
 */
export class ModelService {
  private readonly stateChanged = new Emitter<ModelState>();
  readonly onDidChangeState = this.stateChanged.event;
  private current: Loaded | undefined;
  /** An engine opened for settings not yet saved (prepare): taken when they are. */
  private prepared: { key: string; engine: InfillEngine } | undefined;
  private stateValue: ModelState;

  /** `problem`: what is wrong with the settings, found without opening anything (engineSource's settingsProblem). */
  constructor(
    private readonly settings: () => ModelSettings,
    private readonly open: EngineOpener,
    private readonly log: (message: string) => void,
    private readonly problem: (model: ModelSettings) => string | undefined = () => undefined,
    /** Told when the engine stops on its own (its process crashed, or stopped answering and was ended). */
    private readonly stopped: (reason: Error) => void = () => undefined,
  ) {
    this.stateValue = this.checked();
  }

  get state(): ModelState {
    return this.stateValue;
  }

  /** The engine for the current settings, opening it if needed; concurrent callers share one load. */
  engine(): Promise<InfillEngine> {
    const model = this.settings();
    const key = engineKey(model);
    if (this.current?.key !== key) {
      const entry = { key } as Loaded;
      if (this.prepared?.key === key) {
        const engine = this.prepared.engine;
        this.prepared = undefined;
        entry.engine = Promise.resolve(engine);
        this.current = entry;
        this.watch(engine, entry);
        this.setState({ kind: 'ready', info: engine.info });
        return entry.engine;
      }
      entry.engine = this.load(model, entry);
      this.current = entry;
    }
    return this.current.engine;
  }

  /**
   * Opens the engine of settings about to be saved, so that the switch happens only once it has
   * loaded: a model that fails to load throws here, and the settings (and the model in use) stay
   * as they were.  The next use after the settings change takes this engine instead of loading.
   */
  async prepare(model: ModelSettings): Promise<void> {
    const engine = await this.open(model, this.log);
    this.prepared = { key: engineKey(model), engine };
  }

  /**
   * Forgets the engine so that the next use opens it again (a settings change, or "Reload Model").
   * Settings that cannot work say so now, not at the next completion.
   */
  reset(): void {
    this.current = undefined;
    this.setState(this.checked());
  }

  private checked(): ModelState {
    const problem = this.problem(this.settings());
    if (problem) this.log(`model settings: ${problem}`);
    return problem ? { kind: 'error', message: problem } : { kind: 'idle' };
  }

  dispose(): void {
    this.stateChanged.dispose();
  }

  private async load(model: ModelSettings, entry: Loaded): Promise<InfillEngine> {
    const source = typeof model.values.folder === 'string' ? model.values.folder : (kindById(model.source)?.label ?? model.source);
    this.setState({ kind: 'loading', source });
    const started = performance.now();
    try {
      const engine = await this.open(model, this.log);
      this.watch(engine, entry);
      if (this.current === entry) {
        this.log(
          `model ready: ${engine.info.name}${engine.info.layout ? ` (${engine.info.layout})` : ''} on ${engine.info.device} in ${Math.round(performance.now() - started)} ms`,
        );
        this.setState({ kind: 'ready', info: engine.info });
      }
      return engine;
    } catch (e) {
      if (this.current === entry) {
        // A failed load is not cached: the next use tries again (the user may have fixed the folder).
        this.current = undefined;
        const message = (e as Error).message;
        this.log(`model failed to load: ${message}`);
        this.setState({ kind: 'error', message });
      }
      throw e;
    }
  }

  /** A model whose thread died is forgotten, so that the next use loads it again by itself. */
  private watch(engine: InfillEngine, entry: Loaded): void {
    engine.onStop?.((reason) => {
      if (this.current !== entry) return;
      this.current = undefined;
      this.log(`model stopped: ${reason.message}; it is loaded again on next use`);
      this.setState({ kind: 'idle' });
      this.stopped(reason);
    });
  }

  private setState(state: ModelState): void {
    this.stateValue = state;
    this.stateChanged.fire(state);
  }
}
