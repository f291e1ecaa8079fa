import type { OfflineQueue, QueueOperationInput } from '@dynapharm/offline-sync';
import { apiFieldErrors, type FieldErrors } from './form-errors.ts';

/** How long a form waits for the server's answer before leaving the write to the queue. */
const WAIT_MS = 4000;

/**
 * Queues a write (it shows at once, optimistically) and, when online, waits a
 * moment for the replay: if the server refuses it, the operation is taken back
 * and its field errors go to the form; otherwise (landed, offline, slow,
 * conflict) the queue takes it from here. Returns errors, or `undefined` when the form may close.
 */
export async function submitWrite(
  queue: OfflineQueue | undefined,
  input: QueueOperationInput,
): Promise<FieldErrors | undefined> {
  if (!queue) return { '(body)': 'The offline queue is not ready yet; try again.' };
  let opId: string;
  try {
    opId = (await queue.queueOperation(input)).opId;
  } catch (err) {
    return { '(body)': err instanceof Error ? err.message : String(err) };
  }
  if (!navigator.onLine) return undefined;
  await Promise.race([
    queue.syncAll().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, WAIT_MS)),
  ]);
  const op = (await queue.getQueue()).find((o) => o.opId === opId);
  if (op?.status !== 'rejected' || !op.lastError) return undefined;
  await queue.discard(opId).catch(() => undefined);
  const fields = apiFieldErrors(op.lastError.details);
  return { ...fields, '(body)': `The server refused it: ${op.lastError.message}` };
}
