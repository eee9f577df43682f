/**
 * Whether a fill is held back: the model was less sure of it than `minConfidence`. A fill an
 * engine cannot score (a fill-in-the-middle endpoint) is never held back; 0 holds back nothing.
 */
export function isHeldBack(confidence: number | undefined, minConfidence: number): boolean {
  return confidence !== undefined && confidence < minConfidence;
}
