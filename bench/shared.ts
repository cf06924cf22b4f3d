import { existsSync, readFileSync, realpathSync } from 'node:fs';
import type { MqttClient } from 'mqtt';

/** QoS 1 publishes of `payload(i)`, i = 0 … count - 1, keeping `window` unacknowledged; resolves when all are acked. */
export function publishWindowed(
  client: MqttClient,
  topic: string,
  count: number,
  window: number,
  payload: (seq: number) => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const sendNext = () => {
      const seq = sent;
      sent += 1;
      client.publish(topic, payload(seq), { qos: 1 }, (error) => {
        if (error) return reject(error);
        acked += 1;
        if (sent < count) sendNext();
        else if (acked === count) resolve();
      });
    };
    if (count <= 0) return resolve();
    for (let i = 0; i < Math.min(window, count); i++) sendNext();
  });
}

/** The file system type under `dir`, from the longest matching mount point (tmpfs would make fsync free). */
export function fileSystemOf(dir: string): string {
  if (!existsSync('/proc/mounts')) return 'unknown';
  const path = realpathSync(dir);
  let best = { mount: '', type: 'unknown' };
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mount, type] = line.split(' ');
    if (mount === undefined || type === undefined) continue;
    const covers = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (covers && mount.length >= best.mount.length) best = { mount, type };
  }
  return best.type;
}
