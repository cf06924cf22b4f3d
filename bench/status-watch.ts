/** Status events of one workflow, as any MQTT client sees them (the wire contract's `$task/…` and `$workflow/…`). */
import type { MqttClient } from 'mqtt';
import { decodeEvent } from '../protocol/event.ts';
import { taskStatusKey, workflowStatusKey } from '../protocol/status-events.ts';

export interface Status {
  executionId: number;
  /** Undefined for the status of the workflow execution itself. */
  task?: string;
  value: string;
  /** Server clock (ms). */
  createTime: number;
  /** When the benchmark received it (`performance.now()`). */
  at: number;
}

/** Subscribes `client` to every status of `workflow` in `namespace`; retained copies of older statuses are skipped. */
export async function watchStatuses(
  client: MqttClient,
  namespace: string,
  workflow: string,
  onStatus: (status: Status) => void,
): Promise<void> {
  client.on('message', (topic, payload, packet) => {
    const at = performance.now();
    if (packet.retain || !topic.startsWith(`ns/${namespace}/$`)) return;
    const event = decodeEvent(payload);
    const context = JSON.parse(event.context ?? '{}') as { workflowExecutionId?: number; task?: string };
    if (context.workflowExecutionId === undefined) return;
    const base = {
      executionId: context.workflowExecutionId,
      value: event.value,
      createTime: event.createTime,
      at,
    };
    if (event.key === workflowStatusKey(workflow)) onStatus(base);
    else if (event.key.startsWith(taskStatusKey(workflow, ''))) onStatus({ ...base, task: context.task });
  });
  // `ns/<namespace>/<key>`, with a wildcard for the task (a key may not contain `+`, a filter may).
  const topics = [taskStatusKey(workflow, '+'), workflowStatusKey(workflow)].map(
    (key) => `ns/${namespace}/${key}`,
  );
  await client.subscribeAsync(topics, { qos: 1 });
}
