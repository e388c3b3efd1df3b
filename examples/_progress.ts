/**
 * Progress for long training runs: one updating line (epoch, loss, rate) when
 * stdout is a terminal, plain lines every `every` epochs otherwise.
 *
 * @module
 */

/** Reports training progress. */
export class Progress {
  readonly #total: number;
  readonly #every: number;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #lastDraw = 0;

  /** `total` epochs; plain lines every `every` epochs when not a terminal. */
  constructor(total: number, every: number) {
    this.#total = total;
    this.#every = every;
    this.#tty = Deno.stdout.isTerminal();
  }

  /** Reports epoch `epoch` (0-based) with its loss. */
  update(epoch: number, loss: number): void {
    const done = epoch + 1;
    const last = done === this.#total;
    if (this.#tty) {
      const now = performance.now();
      if (!last && now - this.#lastDraw < 50) return;
      this.#lastDraw = now;
      const rate = done / ((now - this.#start) / 1000);
      const line = `epoch ${done}/${this.#total}  loss ${
        loss.toExponential(4)
      }  ${rate.toFixed(0)} epochs/s`;
      Deno.stdout.writeSync(
        new TextEncoder().encode(`\r${line}\x1b[K${last ? "\n" : ""}`),
      );
    } else if (epoch % this.#every === 0 || last) {
      console.log(`epoch ${epoch} loss ${loss}`);
    }
  }
}
