// Browser Python host (built in the next commit).
import type { Output } from '../chat/execution';

export interface Done {
  status: string;
  duration_ms: number;
  outputs: Output[];
}

class PyodideHost {
  async serve(): Promise<void> {}
  async run(_code: string, _onOutput: (o: Output) => void): Promise<Done> {
    throw new Error('browser Python is not built yet');
  }
}

let host: PyodideHost | null = null;
export function pyodide(): PyodideHost {
  host ??= new PyodideHost();
  return host;
}
