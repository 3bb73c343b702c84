import type { Checkpoints } from './checkpoints.ts';
import { FileSource, type FileSourceOptions } from './file.ts';

/**
 * Kubernetes container logs as the kubelet lays them out:
 * `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log`, in the CRI format. Pod,
 * namespace, uid and container come from the path into the resource (OpenTelemetry's
 * k8s.* names), so records carry them without asking the API server.
 */

const podPathRe = /\/([^/_]+)_([^/_]+)_([0-9a-fA-F-]+)\/([^/]+)\/(\d+)\.log$/;

/**
 * Resource of a pod log file from its path; empty when the path is not a pod log.
 *
 * @example
 * podResource('/var/log/pods/shop_web-0_6f0c.../nginx/0.log');
 * // { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-0', 'k8s.pod.uid': '6f0c...', 'k8s.container.name': 'nginx', 'k8s.container.restart_count': '0' }
 */
export function podResource(path: string): Record<string, string> {
  const m = podPathRe.exec(path);
  if (!m) return {};
  return {
    'k8s.namespace.name': m[1]!,
    'k8s.pod.name': m[2]!,
    'k8s.pod.uid': m[3]!,
    'k8s.container.name': m[4]!,
    'k8s.container.restart_count': m[5]!,
  };
}

export interface KubernetesSourceOptions
  extends Omit<FileSourceOptions, 'include' | 'format' | 'resourceFor'> {
  /** Root of the pod logs; /var/log/pods on a node. */
  root?: string;
  /** Only these namespaces (all when empty). */
  namespaces?: string[];
  checkpoints: Checkpoints;
}

export function kubernetesSource(options: KubernetesSourceOptions): FileSource {
  const root = (options.root ?? '/var/log/pods').replace(/\/$/, '');
  const ns = options.namespaces && options.namespaces.length > 0 ? `{${options.namespaces.join(',')}}` : '*';
  return new FileSource({
    ...options,
    include: [`${root}/${ns}_*_*/*/*.log`],
    format: 'cri',
    resourceFor: podResource,
  });
}
