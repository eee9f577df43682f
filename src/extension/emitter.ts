/**
 * A minimal event emitter with VS Code's `Event<T>` shape, so that the modules that do not need
 * the editor (generations, model service) stay free of `vscode` and can be unit-tested in Node.
 */
export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (event: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(event: T): void {
    // A throwing listener must not break the generation that fires the event.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        console.error('diffusion-infill: event listener failed', e);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
