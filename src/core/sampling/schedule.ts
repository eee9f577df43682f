/**
 * Dream's schedule: at step i of `steps`, with t and s the i-th and (i+1)-th points of
 * linspace(1, eps, steps + 1), commit floor(masked * (1 - s / t)) of the still-masked positions,
 * and all of them at the last step.
 */
export function dreamCount(step: number, steps: number, masked: number, eps = 1e-3): number {
  if (step >= steps - 1) return masked;
  const t = 1 + ((eps - 1) * step) / steps;
  const s = 1 + ((eps - 1) * (step + 1)) / steps;
  return Math.floor(masked * (1 - s / t));
}

/** Dream's `origin` commits each masked position with this probability. */
export function dreamTransferProbability(step: number, steps: number, eps = 1e-3): number {
  if (step >= steps - 1) return 1;
  const t = 1 + ((eps - 1) * step) / steps;
  const s = 1 + ((eps - 1) * (step + 1)) / steps;
  return 1 - s / t;
}

/** LLaDA's `get_num_transfer_tokens`: an even share per step, the remainder to the first steps. */
export function lladaCounts(masked: number, steps: number): number[] {
  const base = Math.floor(masked / steps);
  const remainder = masked % steps;
  return Array.from({ length: steps }, (_, i) => base + (i < remainder ? 1 : 0));
}

/** The steps each block gets: an even share, the remainder to the first blocks, at least one. */
export function stepsPerBlock(steps: number, blocks: number): number[] {
  return lladaCounts(steps, blocks).map((n) => Math.max(1, n));
}
